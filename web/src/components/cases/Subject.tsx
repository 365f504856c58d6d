import { Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { approvalRequest, type CaseDetail, type CaseRights, caseDetail } from '../../api/cases.ts';
import type { Customer } from '../../api/resources.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Id, StatusBadge } from '../Common.tsx';
import { ReasonDialog } from '../ReasonDialog.tsx';
import { REASON_MIN } from './HeldMoney.tsx';
import { type CaseRun, useIdempotencyKey } from './workspace.tsx';

/**
 * The case's customer: their account's status, frozen at once from the case, or an
 * unfreeze asked for (another person approves it).
 */
export function SubjectPanel({
  c,
  customer,
  rights,
  run,
}: {
  c: CaseDetail;
  /** The subject when it is a customer the console could read; null for a merchant or while loading. */
  customer: Customer | null;
  rights: CaseRights;
  run: CaseRun;
}) {
  const { t } = useI18n();
  const api = useApi();
  const [acting, setActing] = useState<'freeze' | 'unfreeze' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = useIdempotencyKey(acting === 'unfreeze', c.version);
  const subjectId = c.subjectId;
  if (!subjectId) return null;
  const open = c.status !== 'closed';
  const status = customer?.status ?? null;
  // A customer's status decides which of the two is offered; a merchant's is not read here, so both are.
  const known = customer !== null || !subjectId.startsWith('cus_');
  const mayFreeze = known && rights.work && open && status !== 'frozen';
  const mayUnfreeze = known && rights.unfreeze && open && (status === 'frozen' || status === null);

  const submit = async ({ reason }: { reason: string }) => {
    const base = `/v1/cases/${encodeURIComponent(c.id)}/owners/${encodeURIComponent(subjectId)}`;
    const message =
      acting === 'freeze'
        ? await run(
            () => api.post(`${base}/freeze`, caseDetail, { version: c.version, reason }),
            () => ({ color: 'green', text: t('case.frozenDone') }),
          )
        : await run(
            () =>
              api.post(
                `${base}/unfreeze`,
                approvalRequest,
                { version: c.version, reason },
                { idempotencyKey: key },
              ),
            (a) => ({ color: 'blue', text: t('case.unfreezeRequested'), approvalId: a.id }),
          );
    setError(message);
    if (message === null) setActing(null);
  };

  return (
    <Stack gap="xs" data-testid="case-subject">
      <Group justify="space-between">
        <Stack gap={2}>
          {subjectId.startsWith('cus_') ? (
            <Anchor component={Link} to={`/customers/${encodeURIComponent(subjectId)}`} fw={600}>
              {customer?.displayName || subjectId}
            </Anchor>
          ) : (
            <Text size="sm">{t('case.merchantSubject', { id: subjectId })}</Text>
          )}
          <Id value={subjectId} />
        </Stack>
        {status && <StatusBadge status={status} />}
      </Group>
      {(mayFreeze || mayUnfreeze) && (
        <Group gap="xs">
          {mayFreeze && (
            <Button
              size="xs"
              color="red"
              variant="light"
              onClick={() => {
                setError(null);
                setActing('freeze');
              }}
              data-testid="case-freeze"
            >
              {t('case.freeze')}
            </Button>
          )}
          {mayUnfreeze && (
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                setError(null);
                setActing('unfreeze');
              }}
              data-testid="case-unfreeze"
            >
              {t('case.unfreeze')}
            </Button>
          )}
        </Group>
      )}
      <ReasonDialog
        opened={acting !== null}
        onClose={() => setActing(null)}
        title={
          acting === 'freeze'
            ? t('case.freezeTitle', { id: customer?.displayName || subjectId })
            : t('case.unfreezeTitle', { id: customer?.displayName || subjectId })
        }
        description={acting === 'freeze' ? t('case.freezeDescription') : t('case.unfreezeDescription')}
        confirmLabel={acting === 'freeze' ? t('case.freeze') : t('case.unfreeze')}
        color={acting === 'freeze' ? 'red' : undefined}
        minLength={REASON_MIN}
        onSubmit={submit}
        error={error}
      />
    </Stack>
  );
}
