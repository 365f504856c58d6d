import { Anchor, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { ENTITY_KINDS, type EntityKind } from '../../../../src/cases/model.ts';
import { type CaseDetail, caseDetail, reverseAnswer } from '../../api/cases.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import { parseMajorToMinor } from '../../format/money.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';
import { ReasonDialog } from '../ReasonDialog.tsx';
import { REASON_MIN } from './HeldMoney.tsx';
import { ENTITY_KEYS } from './labels.tsx';
import { entityHref, isEntityKind } from './network.ts';
import { type CaseRun, useIdempotencyKey } from './workspace.tsx';

/** What the server accepts as an entity id. */
const ENTITY_ID_MAX = 80;

/** Everything linked to the case, each to its page; a linked transfer or payment can be reversed from here. */
export function Entities({ c, canWork, run }: { c: CaseDetail; canWork: boolean; run: CaseRun }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const [reversing, setReversing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = useIdempotencyKey(reversing !== null, c.version);
  const open = c.status !== 'closed';
  const currency = c.currency ?? 'CNY';

  const reverse = async ({ reason, amount }: { reason: string; amount: string }) => {
    if (!reversing) return;
    const amountMinor = amount ? parseMajorToMinor(amount, currency) : null;
    const message = await run(
      () =>
        api.post(
          `/v1/cases/${encodeURIComponent(c.id)}/transactions/${encodeURIComponent(reversing)}/reverse`,
          reverseAnswer,
          { version: c.version, reason, ...(amountMinor ? { amountMinor } : {}) },
          { idempotencyKey: key },
        ),
      (r) => ({ color: 'green', text: t('case.reversed', { id: r.entryId ?? '—' }) }),
    );
    setError(message);
    if (message === null) setReversing(null);
  };

  return (
    <Stack gap="sm">
      <Table verticalSpacing={4} data-testid="case-entities">
        <Table.Tbody>
          {c.entities.map((e) => {
            const href = entityHref(e.kind, e.id, auth.can);
            return (
              <Table.Tr key={`${e.kind}:${e.id}`} data-testid={`entity-${e.kind}-${e.id}`}>
                <Table.Td w={130}>
                  <Text size="sm">{isEntityKind(e.kind) ? t(ENTITY_KEYS[e.kind]) : e.kind}</Text>
                </Table.Td>
                <Table.Td>
                  {href ? (
                    <Anchor component={Link} to={href} size="sm">
                      <Id value={e.id} />
                    </Anchor>
                  ) : (
                    <Id value={e.id} />
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {i18n.dateTime(e.addedAt)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  {e.kind === 'transaction' && canWork && open && (
                    <Button
                      size="compact-xs"
                      variant="light"
                      color="orange"
                      onClick={() => {
                        setError(null);
                        setReversing(e.id);
                      }}
                    >
                      {t('case.reverse')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {canWork && open && <LinkForm c={c} run={run} />}
      <ReasonDialog
        opened={reversing !== null}
        onClose={() => setReversing(null)}
        title={t('case.reverseTitle', { id: reversing ?? '' })}
        description={t('case.reverseDescription')}
        confirmLabel={t('case.reverse')}
        color="orange"
        minLength={REASON_MIN}
        amountLabel={t('case.reverseAmount', { currency })}
        validateAmount={(typed) =>
          parseMajorToMinor(typed, currency) === null ? t('case.amountInvalid') : null
        }
        onSubmit={reverse}
        error={error}
      />
    </Stack>
  );
}

function LinkForm({ c, run }: { c: CaseDetail; run: CaseRun }) {
  const { t } = useI18n();
  const api = useApi();
  const [kind, setKind] = useState<EntityKind>('transaction');
  const [id, setId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ref = id.trim();
    if (ref === '') return;
    setBusy(true);
    const message = await run(
      () =>
        api.post(`/v1/cases/${encodeURIComponent(c.id)}/entities`, caseDetail, {
          entities: [{ kind, id: ref }],
          version: c.version,
        }),
      () => ({ color: 'green', text: t('case.linkDone') }),
    );
    setBusy(false);
    setError(message);
    if (message === null) setId('');
  };
  return (
    <form onSubmit={submit} noValidate>
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <Select
          label={t('case.linkKind')}
          data={ENTITY_KINDS.map((k) => ({ value: k, label: t(ENTITY_KEYS[k]) }))}
          value={kind}
          onChange={(v) => {
            if (v && isEntityKind(v)) setKind(v);
          }}
          allowDeselect={false}
          w={150}
        />
        <TextInput
          label={t('case.linkId')}
          description={t('case.linkHint')}
          value={id}
          onChange={(e) => setId(e.currentTarget.value)}
          maxLength={ENTITY_ID_MAX}
          error={error}
          style={{ flex: 1 }}
        />
        <Button type="submit" variant="default" loading={busy} disabled={id.trim() === ''}>
          {t('case.link')}
        </Button>
      </Group>
    </form>
  );
}
