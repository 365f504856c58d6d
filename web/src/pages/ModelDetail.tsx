import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Code,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Text,
  Timeline,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/errors.ts';
import {
  actionsFor,
  MODEL_KEYS,
  type Model,
  type ModelAction,
  type ModelDetail as ModelDetailView,
  type ModelEvent,
  modelChangeRequests,
  modelDetail,
  modelMoveAnswer,
  needsApproval,
} from '../api/models.ts';
import type { Approval } from '../api/resources.ts';
import { newIdempotencyKey } from '../api/rules.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { PageHeader } from '../components/Common.tsx';
import { Field, KeyValues, Section } from '../components/Detail.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { QueryView } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';
import { MODEL_STATUS_KEYS, ModelStatusBadge, TrainingRange, useScopeLabel, Who } from './Models.tsx';

/** The server's shortest reason for a move. */
const REASON_MIN = 3;

/** An answer of the other shape than the move has (a promotion that did not file a request). */
const unexpected = (action: ModelAction) =>
  new ApiError('UNEXPECTED', 200, `${action}: the answer is not of the expected shape`);

type MoveResult =
  | { kind: 'moved'; action: 'shadow' | 'unshadow' | 'retire'; label: string }
  | { kind: 'approval'; action: 'promote' | 'retire'; label: string; approval: Approval };

/** One model version: where it stands and the moves open to the role, what it was trained on, its risk levels, features and history. */
export function ModelDetail() {
  const { id = '' } = useParams();
  // Another version is another page: no dialog or notice carries over.
  return <ModelPage key={id} id={id} />;
}

function ModelPage({ id }: { id: string }) {
  const { t } = useI18n();
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const [acting, setActing] = useState<ModelAction | null>(null);
  const [result, setResult] = useState<MoveResult | null>(null);
  const q = useQuery({
    queryKey: MODEL_KEYS.one(id),
    queryFn: () => api.get(`/v1/risk/models/${encodeURIComponent(id)}`, modelDetail),
  });
  const pending = useQuery({
    queryKey: MODEL_KEYS.changeRequests,
    queryFn: () => api.get('/v1/approvals', modelChangeRequests, { status: 'pending', limit: 200 }),
    enabled: auth.can('approval.read'),
  });
  const waiting = (pending.data ?? []).filter((r) => r.modelId === id);

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: MODEL_KEYS.all }),
      queryClient.invalidateQueries({ queryKey: ['approvals'] }),
    ]);
  };

  return (
    <QueryView query={q}>
      {(m) => (
        <>
          <PageHeader
            title={m.label}
            description={t('model.subtitle', { id: m.id })}
            right={
              <Anchor component={Link} to="/models" size="sm">
                {t('model.back')}
              </Anchor>
            }
          />
          <Stack>
            {result && <MoveNotice result={result} onClose={() => setResult(null)} />}
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Stack>
                <Section title={t('model.state')}>
                  <StatePanel m={m} waiting={waiting.length > 0} onAct={setActing} />
                </Section>
                <Section title={t('model.training')}>
                  <Training m={m} />
                </Section>
              </Stack>
              <Stack>
                <Section title={t('model.thresholds')}>
                  <Thresholds m={m} />
                </Section>
                <Section title={t('model.history')}>
                  <History events={m.events} />
                </Section>
              </Stack>
            </SimpleGrid>
            <Section title={t('model.features', { count: m.features.length })}>
              <Group gap={6} data-testid="model-features">
                {m.features.map((f) => (
                  <Code key={f}>{f}</Code>
                ))}
              </Group>
            </Section>
            <Section title={t('model.metrics')}>
              <Metrics m={m} />
            </Section>
          </Stack>
          <MoveDialog
            model={m}
            action={acting}
            onClose={() => setActing(null)}
            onDone={async (done) => {
              setActing(null);
              setResult(done);
              await refresh();
            }}
          />
        </>
      )}
    </QueryView>
  );
}

const ACTION_LABELS: Record<ModelAction, MessageKey> = {
  shadow: 'modelLife.shadow',
  unshadow: 'modelLife.unshadow',
  promote: 'modelLife.promote',
  retire: 'modelLife.retire',
};
const ACTION_COLORS: Record<ModelAction, string> = {
  shadow: 'violet',
  unshadow: 'gray',
  promote: 'green',
  retire: 'red',
};
const STATUS_HINTS = {
  candidate: 'model.hint.candidate',
  challenger: 'model.hint.challenger',
  champion: 'model.hint.champion',
  retired: 'model.hint.retired',
} as const satisfies Record<Model['status'], MessageKey>;

function StatePanel({
  m,
  waiting,
  onAct,
}: {
  m: Model;
  /** An approval request for this version waits: asking again is pointless. */
  waiting: boolean;
  onAct(action: ModelAction): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const scopeLabel = useScopeLabel();
  const actions = actionsFor(m.status, auth.can).filter((a) => !(waiting && needsApproval(a, m.status)));
  const mayChange = auth.can('model.write') || auth.can('model.publish');
  return (
    <Stack gap="sm">
      <Group gap="xs">
        <ModelStatusBadge status={m.status} size="md" />
        {waiting && (
          <Badge color="blue" variant="outline" data-testid="model-waiting">
            {t('model.waiting')}
          </Badge>
        )}
        <Text size="xs" c="dimmed">
          {t('model.since', { time: i18n.dateTime(m.statusChangedAt) })}
        </Text>
      </Group>
      <Text size="sm">{t(STATUS_HINTS[m.status], { scope: scopeLabel(m.scope) })}</Text>
      {actions.length > 0 ? (
        <Group gap="xs">
          {actions.map((a) => (
            <Button
              key={a}
              size="xs"
              variant={a === 'retire' ? 'subtle' : 'light'}
              color={ACTION_COLORS[a]}
              onClick={() => onAct(a)}
              data-testid={`model-action-${a}`}
            >
              {a === 'promote' && m.status === 'retired' ? t('modelLife.rollback') : t(ACTION_LABELS[a])}
            </Button>
          ))}
        </Group>
      ) : (
        !mayChange && (
          <Text size="sm" c="dimmed">
            {t('model.readOnly')}
          </Text>
        )
      )}
    </Stack>
  );
}

function Training({ m }: { m: Model }) {
  const i18n = useI18n();
  const { t } = i18n;
  const scopeLabel = useScopeLabel();
  const tr = m.training;
  const unknown = t('model.unknown');
  const rate = tr && tr.rows !== null && tr.positives !== null && tr.rows > 0 ? tr.positives / tr.rows : null;
  return (
    <KeyValues>
      <Field label={t('models.col.scope')} w={170}>
        {scopeLabel(m.scope)}
      </Field>
      <Field label={t('model.period')}>
        <TrainingRange from={m.trainedFrom} to={m.trainedTo} />
      </Field>
      <Field label={t('model.rows')}>{tr?.rows == null ? unknown : i18n.number(tr.rows)}</Field>
      <Field label={t('model.positives')}>
        {tr?.positives == null
          ? unknown
          : rate === null
            ? i18n.number(tr.positives)
            : t('model.positivesValue', { count: i18n.number(tr.positives), rate: i18n.percent(rate) })}
      </Field>
      <Field label={t('model.trees')}>{i18n.number(m.trees)}</Field>
      <Field label={t('model.params')}>
        {tr && tr.params.length > 0 ? (
          <Group gap={4}>
            {tr.params.map(([k, v]) => (
              <Code key={k}>{`${k}=${v}`}</Code>
            ))}
          </Group>
        ) : (
          unknown
        )}
      </Field>
      <Field label={t('model.trainedAt')}>{tr?.trainedAt ? i18n.dateTime(tr.trainedAt) : unknown}</Field>
      <Field label={t('model.seconds')}>
        {tr?.seconds == null ? unknown : t('model.secondsValue', { seconds: i18n.number(tr.seconds) })}
      </Field>
      <Field label={t('model.source')}>{tr?.source ? <Code>{tr.source}</Code> : unknown}</Field>
      <Field label={t('model.registered')}>
        <Group gap={4}>
          <Text size="sm">{i18n.dateTime(m.createdAt)}</Text>
          <Text size="sm" c="dimmed">
            ·
          </Text>
          <Who actor={m.createdBy} />
        </Group>
      </Field>
    </KeyValues>
  );
}

/** The calibrated score's bands as one bar (low, medium, high), with the two thresholds. */
function Thresholds({ m }: { m: Model }) {
  const { t } = useI18n();
  const th = m.thresholds;
  if (!th) {
    return (
      <Text size="sm" c="dimmed">
        {t('model.unknown')}
      </Text>
    );
  }
  const medium = Math.min(1, Math.max(0, th.medium));
  const high = Math.min(1, Math.max(medium, th.high));
  const pct = (v: number) => v * 100;
  return (
    <Stack gap="xs" data-testid="model-thresholds">
      <Text size="xs" c="dimmed">
        {t('model.thresholdsHint')}
      </Text>
      <Progress.Root size="lg" aria-hidden>
        <Progress.Section value={pct(medium)} color="green">
          <Progress.Label>{t('modelLevel.low')}</Progress.Label>
        </Progress.Section>
        <Progress.Section value={pct(high - medium)} color="yellow">
          <Progress.Label>{t('modelLevel.medium')}</Progress.Label>
        </Progress.Section>
        <Progress.Section value={pct(1 - high)} color="red">
          <Progress.Label>{t('modelLevel.high')}</Progress.Label>
        </Progress.Section>
      </Progress.Root>
      <KeyValues>
        <Field label={t('model.thresholdMedium')} w={170}>
          <Code>{th.medium.toFixed(4)}</Code>
        </Field>
        <Field label={t('model.thresholdHigh')}>
          <Code>{th.high.toFixed(4)}</Code>
        </Field>
      </KeyValues>
    </Stack>
  );
}

function Metrics({ m }: { m: Model }) {
  const i18n = useI18n();
  if (m.metrics.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {i18n.t('model.metricsNone')}
      </Text>
    );
  }
  const fmt = new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 4 });
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xs" data-testid="model-metrics">
      {m.metrics.map(([name, value]) => (
        <Group key={name} justify="space-between" wrap="nowrap" gap="xs">
          <Text size="sm" ff="monospace" truncate>
            {name}
          </Text>
          <Text size="sm" fw={600}>
            {fmt.format(value)}
          </Text>
        </Group>
      ))}
    </SimpleGrid>
  );
}

function History({ events }: { events: ModelEvent[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <Timeline active={events.length - 1} bulletSize={14} lineWidth={2} data-testid="model-history">
      {events.map((e) => (
        <Timeline.Item
          // Events are immutable: a version moves to a status once at a given moment.
          key={`${e.at ?? ''}-${e.from ?? ''}-${e.to}`}
          title={
            <Text size="sm" fw={600}>
              {e.from === null
                ? t('model.historyRegistered')
                : t('model.historyMove', {
                    from: t(MODEL_STATUS_KEYS[e.from]),
                    to: t(MODEL_STATUS_KEYS[e.to]),
                  })}
            </Text>
          }
          data-testid="model-event"
          data-to={e.to}
        >
          <Box>
            <Group gap={4}>
              <Text size="xs" c="dimmed">
                {i18n.dateTime(e.at)} ·
              </Text>
              <Text size="xs" c="dimmed" component="div">
                <Who actor={e.actor} />
              </Text>
            </Group>
            {e.reason && <Text size="xs">{t('model.historyReason', { reason: e.reason })}</Text>}
            {e.approvalId && (
              <Text size="xs" c="dimmed">
                {t('model.historyApproval')} <Code>{e.approvalId}</Code>
              </Text>
            )}
          </Box>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function MoveDialog({
  model,
  action,
  onClose,
  onDone,
}: {
  model: ModelDetailView;
  action: ModelAction | null;
  onClose(): void;
  onDone(result: MoveResult): Promise<void> | void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  // One key per opened dialog: a retry after a lost answer replays instead of asking twice.
  const idempotencyKey = useMemo(() => (action ? newIdempotencyKey() : ''), [action]);
  const label = model.label;
  const rollback = action === 'promote' && model.status === 'retired';

  const submit = async ({ reason }: { reason: string }) => {
    if (!action) return;
    setError(null);
    try {
      const answer = await api.post(
        `/v1/risk/models/${encodeURIComponent(model.id)}/${action}`,
        modelMoveAnswer,
        { reason },
        action === 'promote' || action === 'retire' ? { idempotencyKey } : {},
      );
      let result: MoveResult;
      switch (answer.kind) {
        case 'approval':
          if (action !== 'promote' && action !== 'retire') throw unexpected(action);
          result = { kind: 'approval', action, label, approval: answer.approval };
          break;
        case 'model':
          if (action === 'promote') throw unexpected(action);
          result = { kind: 'moved', action, label: answer.model.label };
          break;
        default: {
          const never: never = answer;
          return never;
        }
      }
      await onDone(result);
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };

  let title = '';
  let description = '';
  switch (action) {
    case 'shadow':
      title = t('modelLife.shadowTitle', { model: label });
      description = t('modelLife.shadowDescription');
      break;
    case 'unshadow':
      title = t('modelLife.unshadowTitle', { model: label });
      description = t('modelLife.unshadowDescription');
      break;
    case 'promote':
      title = t(rollback ? 'modelLife.rollbackTitle' : 'modelLife.promoteTitle', { model: label });
      description = t(rollback ? 'modelLife.rollbackDescription' : 'modelLife.promoteDescription');
      break;
    case 'retire':
      title = t('modelLife.retireTitle', { model: label });
      description = t(
        model.status === 'champion' ? 'modelLife.retireChampionDescription' : 'modelLife.retireDescription',
      );
      break;
    case null:
      break;
    default: {
      const never: never = action;
      return never;
    }
  }

  return (
    <ReasonDialog
      opened={action !== null}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title={title}
      description={description}
      confirmLabel={action ? (rollback ? t('modelLife.rollback') : t(ACTION_LABELS[action])) : ''}
      color={action ? ACTION_COLORS[action] : undefined}
      minLength={REASON_MIN}
      onSubmit={submit}
      error={error}
    />
  );
}

/** What the last move did: the new status, or the approval request it filed with a way to the inbox. */
function MoveNotice({ result, onClose }: { result: MoveResult; onClose(): void }) {
  const { t } = useI18n();
  switch (result.kind) {
    case 'moved': {
      const key: Record<typeof result.action, MessageKey> = {
        shadow: 'modelLife.shadowDone',
        unshadow: 'modelLife.unshadowDone',
        retire: 'modelLife.retireDone',
      };
      return (
        <Alert
          color="green"
          variant="light"
          role="status"
          withCloseButton
          onClose={onClose}
          data-testid="model-notice"
        >
          {t(key[result.action], { model: result.label })}
        </Alert>
      );
    }
    case 'approval':
      return (
        <Alert
          color="blue"
          variant="light"
          role="status"
          withCloseButton
          onClose={onClose}
          title={t(result.action === 'promote' ? 'modelLife.promoteRequested' : 'modelLife.retireRequested', {
            model: result.label,
          })}
          data-testid="model-notice"
        >
          <Text size="sm">
            {t('modelLife.requestFiled')} <Code data-testid="approval-id">{result.approval.id}</Code>
          </Text>
          {result.approval.summary && (
            <Text size="sm" c="dimmed">
              {result.approval.summary}
            </Text>
          )}
          <Anchor component={Link} to="/approvals" size="sm" data-testid="approvals-link">
            {t('modelLife.openApprovals')}
          </Anchor>
        </Alert>
      );
    default: {
      const never: never = result;
      return never;
    }
  }
}
