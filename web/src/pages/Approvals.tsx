import { Badge, Button, Card, Group, Stack, Tabs, Text } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { can, isStaffRole, type Permission } from '../../../src/access/permissions.ts';
import { type Approval, approvalAnswer, approvalsPage } from '../api/resources.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { PageHeader, StatusBadge } from '../components/Common.tsx';
import { roleLabel } from '../components/Layout.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

const STATUSES = ['pending', 'approved', 'rejected', 'expired', 'failed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const PAGE_SIZE = 25;

/** Who may decide each kind of request (the approval service checks it again). */
const ACTION_PERMISSION: Record<string, Permission> = {
  'owner.unfreeze': 'owner.unfreeze',
  'limits.raise': 'limits.raise',
  'ledger.adjust': 'ledger.adjust',
  'pii.reveal.bulk': 'pii.reveal.bulk',
  'staff.create': 'staff.manage',
  'staff.role.change': 'staff.manage',
  'risk.rule.publish': 'rule.publish',
  'risk.model.change': 'model.publish',
  'compensation.pay': 'compensation.pay',
};
const ACTION_LABELS: Record<string, MessageKey> = {
  'owner.unfreeze': 'approvalAction.owner.unfreeze',
  'limits.raise': 'approvalAction.limits.raise',
  'ledger.adjust': 'approvalAction.ledger.adjust',
  'pii.reveal.bulk': 'approvalAction.pii.reveal.bulk',
  'staff.create': 'approvalAction.staff.create',
  'staff.role.change': 'approvalAction.staff.role.change',
  'risk.rule.publish': 'approvalAction.risk.rule.publish',
  'risk.model.change': 'approvalAction.risk.model.change',
  'compensation.pay': 'approvalAction.compensation.pay',
};
const STATUS_TABS: Record<Status, MessageKey> = {
  pending: 'status.pending',
  approved: 'status.approved',
  rejected: 'status.rejected',
  expired: 'status.expired',
  failed: 'status.failed',
  cancelled: 'status.cancelled',
};

type Decision = 'approve' | 'reject' | 'cancel';

/** The maker-checker inbox: decide others' requests with a reason; your own are shown, not approvable. */
export function Approvals() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('pending');
  const pager = useCursor();
  const [acting, setActing] = useState<{ approval: Approval; decision: Decision } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['approvals', status, pager.cursor],
    queryFn: () =>
      api.get('/v1/approvals', approvalsPage, { status, limit: PAGE_SIZE, cursor: pager.cursor }),
    placeholderData: keepPreviousData,
  });
  const me = auth.staff?.id;
  const role = auth.staff?.role ?? '';

  const mayDecide = (a: Approval) => {
    const p = ACTION_PERMISSION[a.action];
    return a.maker.id !== me && isStaffRole(role) && (p === undefined || can(role, p));
  };

  const submit = async ({ reason }: { reason: string }) => {
    if (!acting) return;
    setError(null);
    try {
      const r = await api.post(
        `/v1/approvals/${encodeURIComponent(acting.approval.id)}/${acting.decision}`,
        approvalAnswer,
        reason ? { reason } : {},
      );
      setNotice(
        r.status === 'failed'
          ? t('approvals.failedNotice', { error: r.error ?? '' })
          : t('approvals.doneNotice', { status: t(STATUS_TABS[isStatus(r.status) ? r.status : 'pending']) }),
      );
      setActing(null);
      await queryClient.invalidateQueries({ queryKey: ['approvals'] });
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };

  return (
    <>
      <PageHeader title={t('approvals.title')} description={t('approvals.description')} />
      {notice && (
        <Text role="status" mb="sm" c="green">
          {notice}
        </Text>
      )}
      <Tabs
        value={status}
        onChange={(v) => {
          if (v && isStatus(v)) {
            pager.reset();
            setStatus(v);
          }
        }}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          {STATUSES.map((s) => (
            <Tabs.Tab key={s} value={s}>
              {t(STATUS_TABS[s])}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Stack>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <Empty>{t('approvals.empty')}</Empty>
        ) : (
          list.data.items.map((a) => {
            const mine = a.maker.id === me;
            const actionKey = ACTION_LABELS[a.action];
            return (
              <Card withBorder key={a.id} data-testid={`approval-${a.id}`}>
                <Group justify="space-between" align="flex-start">
                  <Stack gap={4} style={{ flex: 1 }}>
                    <Group gap="xs">
                      <Text fw={600}>{actionKey ? t(actionKey) : a.action}</Text>
                      <StatusBadge status={a.status} />
                      {mine && (
                        <Badge variant="outline" color="blue">
                          {t('approvals.yours')}
                        </Badge>
                      )}
                    </Group>
                    <Text size="sm">{a.summary}</Text>
                    <Text size="sm" c="dimmed">
                      {t('approvals.reason', { reason: a.reason })}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {t('approvals.madeBy', {
                        who: mine ? t('approvals.you') : a.maker.id,
                        role: roleLabel(t, a.maker.role),
                        time: i18n.dateTime(a.createdAt),
                      })}
                      {a.status === 'pending' &&
                        ` · ${t('approvals.expires', { time: i18n.dateTime(a.expiresAt) })}`}
                    </Text>
                    {a.checker && (
                      <Text size="xs" c="dimmed">
                        {t('approvals.decidedBy', {
                          who: a.checker.id === me ? t('approvals.you') : a.checker.id,
                          role: roleLabel(t, a.checker.role),
                          time: i18n.dateTime(a.decidedAt),
                        })}
                        {a.decisionReason ? ` — ${a.decisionReason}` : ''}
                      </Text>
                    )}
                  </Stack>
                  {a.status === 'pending' && (
                    <Group gap="xs">
                      {mine ? (
                        <>
                          <Text size="xs" c="dimmed">
                            {t('approvals.ownHint')}
                          </Text>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => setActing({ approval: a, decision: 'cancel' })}
                          >
                            {t('approvals.cancel')}
                          </Button>
                        </>
                      ) : mayDecide(a) ? (
                        <>
                          <Button
                            size="xs"
                            color="green"
                            onClick={() => setActing({ approval: a, decision: 'approve' })}
                          >
                            {t('approvals.approve')}
                          </Button>
                          <Button
                            size="xs"
                            color="red"
                            variant="light"
                            onClick={() => setActing({ approval: a, decision: 'reject' })}
                          >
                            {t('approvals.reject')}
                          </Button>
                        </>
                      ) : (
                        <Text size="xs" c="dimmed">
                          {t('approvals.notYours')}
                        </Text>
                      )}
                    </Group>
                  )}
                </Group>
              </Card>
            );
          })
        )}
        {list.data && <Pager pager={pager} nextCursor={list.data.nextCursor} loading={list.isFetching} />}
      </Stack>
      <ReasonDialog
        opened={acting !== null}
        onClose={() => setActing(null)}
        title={
          acting?.decision === 'approve'
            ? t('approvals.approveTitle')
            : acting?.decision === 'reject'
              ? t('approvals.rejectTitle')
              : t('approvals.cancelTitle')
        }
        description={acting?.approval.summary}
        confirmLabel={
          acting?.decision === 'approve'
            ? t('approvals.approve')
            : acting?.decision === 'reject'
              ? t('approvals.reject')
              : t('approvals.cancel')
        }
        color={acting?.decision === 'approve' ? 'green' : 'red'}
        reasonRequired={acting?.decision === 'reject'}
        onSubmit={submit}
        error={error}
      />
    </>
  );
}

function isStatus(v: string): v is Status {
  return (STATUSES as readonly string[]).includes(v);
}
