import { Anchor, Badge, Button, Group, Select, SimpleGrid, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import {
  assignAnswer,
  type CaseDetail,
  type CaseRights,
  type CaseStatus,
  caseDetail,
  DISPOSITIONS,
  type Disposition,
  isDisposition,
  transitionsFrom,
} from '../../api/cases.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';
import { Field, KeyValues } from '../Detail.tsx';
import {
  Assignee,
  CASE_STATUS_KEYS,
  CaseStatusBadge,
  DISPOSITION_KEYS,
  Due,
  SeverityBadge,
} from './labels.tsx';
import { CaseDialog, type CaseRun } from './workspace.tsx';

/** The server's longest note and summary on a move. */
const MOVE_TEXT_MAX = 2000;

/** The button of a move: reopening is a move from closed to investigating. */
function moveLabel(from: CaseStatus, to: CaseStatus): MessageKey {
  if (from === 'closed') return 'case.move.reopen';
  switch (to) {
    case 'investigating':
      return 'case.move.investigating';
    case 'pending_info':
      return 'case.move.pending_info';
    case 'decided':
      return 'case.move.decided';
    case 'closed':
      return 'case.move.closed';
    case 'open':
      return 'case.move.reopen';
    default: {
      const never: never = to;
      return never;
    }
  }
}

/** Where the case stands (status, severity, assignee, due time, disposition, loss) and the next steps open to the user. */
export function CaseOverview({
  c,
  subjectName,
  rights,
  run,
  nowMs,
}: {
  c: CaseDetail;
  /** The customer's name when the console could read it. */
  subjectName: string | null;
  rights: CaseRights;
  run: CaseRun;
  nowMs: number;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const [moving, setMoving] = useState<CaseStatus | null>(null);
  const [assignError, setAssignError] = useState<string | null>(null);
  const [assigning, setAssigning] = useState(false);
  const me = auth.staff?.id ?? null;
  const otherAssignee = c.assigneeId !== null && c.assigneeId !== me;

  const assign = async (to: 'me' | 'auto') => {
    setAssigning(true);
    const message = await run(
      () => api.post('/v1/cases/assign', assignAnswer, { caseIds: [c.id], to }),
      () => ({ color: 'green', text: t(to === 'me' ? 'case.taken' : 'case.assignedTo') }),
    );
    setAssigning(false);
    setAssignError(message);
  };

  const moves = rights.work ? transitionsFrom(c.status) : [];
  return (
    <Stack gap="sm">
      <Group gap="xs">
        <CaseStatusBadge status={c.status} size="lg" />
        <SeverityBadge severity={c.severity} />
        {c.overdue && (
          <Badge color="red" variant="filled">
            {t('cases.overdue')}
          </Badge>
        )}
        {c.disposition && (
          <Badge
            color={c.disposition === 'confirmed_fraud' ? 'red' : 'gray'}
            variant="outline"
            data-testid="case-disposition"
          >
            {t(DISPOSITION_KEYS[c.disposition])}
          </Badge>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <KeyValues>
          <Field label={t('case.subject')} w={130}>
            {c.subjectId ? (
              c.subjectId.startsWith('cus_') ? (
                <Group gap={6}>
                  <Anchor component={Link} to={`/customers/${encodeURIComponent(c.subjectId)}`} fw={600}>
                    {subjectName || <Id value={c.subjectId} />}
                  </Anchor>
                  {subjectName && <Id value={c.subjectId} />}
                </Group>
              ) : (
                <Id value={c.subjectId} />
              )
            ) : (
              '—'
            )}
          </Field>
          <Field label={t('case.assignee')}>
            <Group gap="xs">
              <span data-testid="case-assignee">
                <Assignee id={c.assigneeId} />
              </span>
              {rights.take && (
                <Button
                  size="compact-xs"
                  onClick={() => void assign('me')}
                  loading={assigning}
                  data-testid="case-take"
                >
                  {t('case.take')}
                </Button>
              )}
              {rights.assign && (
                <Button
                  size="compact-xs"
                  variant="default"
                  onClick={() => void assign('auto')}
                  loading={assigning}
                  data-testid="case-assign-auto"
                >
                  {t('case.assignAuto')}
                </Button>
              )}
            </Group>
            {assignError && (
              <Text size="xs" c="red" role="alert">
                {assignError}
              </Text>
            )}
          </Field>
          <Field label={t('case.due')}>
            {c.status === 'closed' || c.status === 'decided' ? (
              <Text size="sm">{i18n.dateTime(c.dueAt)}</Text>
            ) : (
              <Due dueAt={c.dueAt} overdue={c.overdue} nowMs={nowMs} />
            )}
          </Field>
        </KeyValues>
        <KeyValues>
          <Field label={t('case.disposition')} w={130}>
            {c.disposition ? t(DISPOSITION_KEYS[c.disposition]) : '—'}
          </Field>
          <Field label={t('case.loss')}>
            {c.lossMinor !== null && c.currency !== null ? i18n.money(c.lossMinor, c.currency) : '—'}
          </Field>
          <Field label={t('case.opened')}>
            <Text size="sm">
              {i18n.dateTime(c.createdAt)}
              {c.reopened > 0 && (
                <Text span size="xs" c="dimmed">
                  {' · '}
                  {t('case.reopened', { count: c.reopened })}
                </Text>
              )}
            </Text>
          </Field>
        </KeyValues>
      </SimpleGrid>
      {c.summary && (
        <Text size="sm">
          <Text span fw={600}>
            {t('case.summary')}:
          </Text>{' '}
          {c.summary}
        </Text>
      )}
      {moves.length > 0 && (
        <Group gap="xs" data-testid="case-moves">
          <Text size="sm" c="dimmed">
            {t('case.moves')}
          </Text>
          {moves.map((to) => (
            <Button
              key={to}
              size="xs"
              variant={to === 'closed' ? 'filled' : 'light'}
              onClick={() => setMoving(to)}
              data-testid={`case-move-${to}`}
            >
              {t(moveLabel(c.status, to))}
            </Button>
          ))}
        </Group>
      )}
      {!auth.can('case.work') ? (
        <Text size="sm" c="dimmed" data-testid="case-read-only">
          {t('case.readOnly')}
        </Text>
      ) : c.status === 'closed' && moves.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('case.closedHint')}
        </Text>
      ) : (
        !rights.work &&
        otherAssignee && (
          <Text size="sm" c="dimmed">
            {t('case.assignedToOther')}
          </Text>
        )
      )}
      <MoveDialog c={c} to={moving} onClose={() => setMoving(null)} run={run} />
    </Stack>
  );
}

function MoveDialog({
  c,
  to,
  onClose,
  run,
}: {
  c: CaseDetail;
  to: CaseStatus | null;
  onClose(): void;
  run: CaseRun;
}) {
  const { t } = useI18n();
  const api = useApi();
  const [disposition, setDisposition] = useState<Disposition | null>(null);
  const [note, setNote] = useState('');
  const [summary, setSummary] = useState('');
  const [touched, setTouched] = useState(false);
  const opened = to !== null;
  const current = c.disposition;
  useEffect(() => {
    if (opened) {
      setDisposition(current);
      setNote('');
      setSummary('');
      setTouched(false);
    }
  }, [opened, current]);
  const reopening = c.status === 'closed';
  const closing = to === 'closed';
  const asksDisposition = to === 'closed' || to === 'decided';
  const dispositionNeeded = closing && c.kind === 'risk';
  const missing = dispositionNeeded && disposition === null;
  const statusName = to ? t(CASE_STATUS_KEYS[to]) : '';

  return (
    <CaseDialog
      opened={opened}
      onClose={onClose}
      title={closing ? t('case.closeTitle') : t('case.moveTitle', { status: statusName })}
      description={closing ? t('case.closeDescription') : reopening ? t('case.reopenDescription') : undefined}
      confirmLabel={to ? t(moveLabel(c.status, to)) : ''}
      onSubmit={async () => {
        setTouched(true);
        if (!to || missing) return undefined;
        return run(
          () =>
            api.post(`/v1/cases/${encodeURIComponent(c.id)}/transition`, caseDetail, {
              to,
              version: c.version,
              ...(asksDisposition && disposition ? { disposition } : {}),
              ...(note.trim() ? { note: note.trim() } : {}),
              ...(asksDisposition && summary.trim() ? { summary: summary.trim() } : {}),
            }),
          (r) => ({ color: 'green', text: t('case.moved', { status: t(CASE_STATUS_KEYS[r.status]) }) }),
        );
      }}
    >
      {asksDisposition && (
        <Select
          label={t('case.dispositionLabel')}
          placeholder={t('case.dispositionPick')}
          data={DISPOSITIONS.map((d) => ({ value: d, label: t(DISPOSITION_KEYS[d]) }))}
          value={disposition}
          onChange={(v) => setDisposition(v && isDisposition(v) ? v : null)}
          required={dispositionNeeded}
          error={touched && missing ? t('case.dispositionPick') : null}
          data-testid="move-disposition"
          comboboxProps={{ withinPortal: true }}
        />
      )}
      {asksDisposition && (
        <Textarea
          label={t('case.summaryLabel')}
          description={t('case.summaryHint')}
          value={summary}
          onChange={(e) => setSummary(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={MOVE_TEXT_MAX}
        />
      )}
      <Textarea
        label={t('case.noteLabel')}
        description={t('case.noteOptional')}
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
        autosize
        minRows={2}
        maxLength={MOVE_TEXT_MAX}
      />
    </CaseDialog>
  );
}
