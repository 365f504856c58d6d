import { Anchor, Badge, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { type CaseDetail, type CaseHold, ignoreAnswer } from '../../api/cases.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { StatusBadge, useKindLabel } from '../Common.tsx';
import { ReasonDialog } from '../ReasonDialog.tsx';
import { type CaseRun, useIdempotencyKey } from './workspace.tsx';

/** The server's shortest reason for a decision taken from a case. */
export const REASON_MIN = 3;

type Deciding = { hold: CaseHold; action: 'release' | 'void' };

/** The money held on the case, each hold released or rejected from here with a reason. */
export function HeldMoney({ c, canWork, run }: { c: CaseDetail; canWork: boolean; run: CaseRun }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const [deciding, setDeciding] = useState<Deciding | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = useIdempotencyKey(deciding !== null, c.version);
  const open = c.status !== 'closed';

  if (c.holds.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('case.holdsNone')}
      </Text>
    );
  }

  const submit = async ({ reason }: { reason: string }) => {
    if (!deciding) return;
    const { hold, action } = deciding;
    const message = await run(
      () =>
        api.post(
          `/v1/cases/${encodeURIComponent(c.id)}/holds/${encodeURIComponent(hold.id)}/${action}`,
          ignoreAnswer,
          { version: c.version, reason },
          { idempotencyKey: key },
        ),
      () => ({ color: 'green', text: t(action === 'release' ? 'case.released' : 'case.rejected') }),
    );
    setError(message);
    if (message === null) setDeciding(null);
  };

  const amount = deciding ? i18n.money(deciding.hold.amountMinor, deciding.hold.currency) : '';
  return (
    <Stack gap="xs">
      {c.holds.map((h) => {
        const pending = h.status === 'pending' && !h.expired;
        return (
          <Paper
            key={h.id}
            withBorder
            p="xs"
            radius="sm"
            data-testid={`case-hold-${h.id}`}
            data-status={h.status}
          >
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Stack gap={2}>
                <Group gap="xs">
                  <Anchor component={Link} to={`/holds/${encodeURIComponent(h.id)}`} fw={600}>
                    {kindLabel(h.withdrawalId ? 'withdrawal' : h.kind)}
                  </Anchor>
                  <StatusBadge status={h.status} />
                  {h.expired && (
                    <Badge color="gray" variant="outline" size="sm">
                      {t('case.holdExpired')}
                    </Badge>
                  )}
                </Group>
                {h.status === 'pending' && (
                  <Text size="xs" c="dimmed">
                    {t('case.holdExpires', { time: i18n.dateTime(h.expiresAt) })}
                  </Text>
                )}
              </Stack>
              <Text fw={700} style={{ whiteSpace: 'nowrap' }}>
                {i18n.money(h.amountMinor, h.currency)}
              </Text>
            </Group>
            {pending && canWork && open && (
              <Group gap="xs" mt="xs">
                <Button
                  size="xs"
                  color="green"
                  onClick={() => {
                    setError(null);
                    setDeciding({ hold: h, action: 'release' });
                  }}
                  data-testid={`release-${h.id}`}
                >
                  {t('case.release')}
                </Button>
                <Button
                  size="xs"
                  color="red"
                  variant="light"
                  onClick={() => {
                    setError(null);
                    setDeciding({ hold: h, action: 'void' });
                  }}
                  data-testid={`reject-${h.id}`}
                >
                  {t('case.reject')}
                </Button>
              </Group>
            )}
          </Paper>
        );
      })}
      <ReasonDialog
        opened={deciding !== null}
        onClose={() => setDeciding(null)}
        title={
          deciding?.action === 'void' ? t('case.rejectTitle', { amount }) : t('case.releaseTitle', { amount })
        }
        description={deciding?.action === 'void' ? t('case.rejectDescription') : t('case.releaseDescription')}
        confirmLabel={deciding?.action === 'void' ? t('case.reject') : t('case.release')}
        color={deciding?.action === 'void' ? 'red' : 'green'}
        minLength={REASON_MIN}
        onSubmit={submit}
        error={error}
      />
    </Stack>
  );
}
