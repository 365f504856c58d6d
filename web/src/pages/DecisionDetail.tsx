import { Alert, Anchor, Badge, Box, Code, Group, List, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import {
  type DecisionRecord,
  decisionKey,
  decisionRecord,
  type EventSnapshot,
  type FeatureValue,
} from '../api/decisions.ts';
import type { Decoder } from '../api/decode.ts';
import { decisionShadowScores, isModelLevel, type ModelLevel, type ShadowScore } from '../api/models.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OutcomeBadge, PageHeader, useKindLabel } from '../components/Common.tsx';
import { Field, KeyValues, Section } from '../components/Detail.tsx';
import { FeaturesTable } from '../components/decision/FeaturesTable.tsx';
import { LabelPanel } from '../components/decision/LabelPanel.tsx';
import { RulesEvaluated } from '../components/decision/RulesEvaluated.tsx';
import { QueryView } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { type I18n, useI18n } from '../i18n/index.tsx';

/** The decision with the challengers' shadow scores it stored, read from the same answer. */
type DecisionWithShadow = DecisionRecord & { modelShadow: ShadowScore[] };
const decisionWithShadow: Decoder<DecisionWithShadow> = (v, path) => ({
  ...decisionRecord(v, path),
  modelShadow: decisionShadowScores(v, path),
});

/**
 * One risk decision as the analyst needs it: the outcome and its reasons, what the
 * customer was told in both languages, the explanation, the rules evaluated and hit, the
 * model, limits and degradation, the features, the event as the engine saw it, and the
 * labels (with a control to add one). A decision stored before the detail existed shows
 * what was stored.
 */
export function DecisionDetail() {
  const { id = '' } = useParams();
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const q = useQuery({
    queryKey: decisionKey(id),
    queryFn: () => api.get(`/v1/decisions/${encodeURIComponent(id)}`, decisionWithShadow),
  });

  return (
    <QueryView query={q}>
      {(d) => (
        <>
          <PageHeader
            title={
              d.amountMinor && d.currency
                ? t('decision.title', {
                    kind: kindLabel(d.eventType),
                    amount: i18n.money(d.amountMinor, d.currency),
                  })
                : t('decision.titleNoAmount', { kind: kindLabel(d.eventType) })
            }
            description={t('decision.subtitle', { id: d.id })}
            right={
              <Anchor component={Link} to="/decisions" size="sm">
                {t('decision.back')}
              </Anchor>
            }
          />
          <Stack>
            {d.detail === null && (
              <Alert color="gray" variant="light" data-testid="decision-no-detail">
                {t('decision.noDetail')}
              </Alert>
            )}
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Section title={t('decision.summary')}>
                <Summary d={d} />
              </Section>
              <Stack>
                <Section title={t('decision.messages')}>
                  <Messages d={d} />
                </Section>
                {d.detail && (
                  <Section title={t('decision.explanation')}>
                    <List size="sm" spacing={4} data-testid="decision-explanation">
                      {d.detail.explanation.map((line) => (
                        <List.Item key={line}>
                          <Text size="sm" ff="monospace" style={{ wordBreak: 'break-word' }}>
                            {line}
                          </Text>
                        </List.Item>
                      ))}
                    </List>
                  </Section>
                )}
              </Stack>
            </SimpleGrid>
            {d.detail && (
              <Section title={t('decision.rules')}>
                {d.detail.rules ? (
                  <RulesEvaluated rules={d.detail.rules} />
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('decision.rulesNone')}
                  </Text>
                )}
              </Section>
            )}
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Section title={t('decision.event')}>
                <EventFields d={d} />
              </Section>
              <Stack>
                {d.detail && (
                  <Section title={t('decision.health')}>
                    <Health d={d} />
                  </Section>
                )}
                <Section title={t('decision.limits')}>
                  <Limits d={d} />
                </Section>
              </Stack>
            </SimpleGrid>
            {d.detail && (
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <Section title={t('decision.features')}>
                  <FeaturesTable
                    features={d.detail.features}
                    explanation={d.detail.explanation}
                    missing={d.detail.missing}
                    currency={d.input.currency ?? d.currency}
                  />
                </Section>
                <Section title={t('decision.model')}>
                  <ModelSection d={d} />
                </Section>
              </SimpleGrid>
            )}
            <Section title={t('decision.labels')}>
              <LabelPanel decisionId={d.id} labels={d.labels} />
            </Section>
          </Stack>
        </>
      )}
    </QueryView>
  );
}

function lagText(i18n: I18n, decidedAt: string | null, eventAt: string | null): string | null {
  if (!decidedAt || !eventAt) return null;
  const ms = Date.parse(decidedAt) - Date.parse(eventAt);
  if (Number.isNaN(ms)) return null;
  if (ms === 0) return i18n.t('decision.lagNone');
  const abs = Math.abs(ms);
  const lag = abs < 1000 ? i18n.t('decision.lagMs', { ms: abs }) : i18n.duration(abs / 1000);
  return i18n.t(ms > 0 ? 'decision.lagAfter' : 'decision.lagBefore', { lag });
}

function Summary({ d }: { d: DecisionRecord }) {
  const i18n = useI18n();
  const { t } = i18n;
  const lag = lagText(i18n, d.createdAt, d.eventAt ?? d.input.at);
  return (
    <KeyValues>
      <Field label={t('decision.summary')} w={170}>
        <span data-testid="decision-outcome">
          <OutcomeBadge outcome={d.outcome} />
        </span>
      </Field>
      <Field label={t('field.reasons')}>
        {d.reasonCodes.length === 0 ? (
          '—'
        ) : (
          <Group gap={4} data-testid="decision-reasons">
            {d.reasonCodes.map((c) => (
              <Badge key={c} variant="outline" color="gray" tt="none">
                {c}
              </Badge>
            ))}
          </Group>
        )}
      </Field>
      <Field label={t('decision.score')}>{d.score === null ? '—' : i18n.number(d.score)}</Field>
      <Field label={t('decision.decidedAt')}>{i18n.dateTime(d.createdAt)}</Field>
      <Field label={t('decision.eventAt')}>
        <Stack gap={0}>
          <Text size="sm">{i18n.dateTime(d.eventAt ?? d.input.at)}</Text>
          {lag && (
            <Text size="xs" c="dimmed">
              {lag}
            </Text>
          )}
        </Stack>
      </Field>
      <Field label={t('decision.customer')}>
        {d.subjectId?.startsWith('cus_') ? (
          <Anchor component={Link} to={`/customers/${d.subjectId}`}>
            <Id value={d.subjectId} />
          </Anchor>
        ) : (
          <Id value={d.subjectId} />
        )}
      </Field>
      {d.entryIds.length > 0 && (
        <Field label={t('decision.entries')}>
          <Group gap={6}>
            {d.entryIds.map((e) => (
              <Anchor key={e} component={Link} to={`/ledger/entries/${e}`} size="sm">
                {e}
              </Anchor>
            ))}
          </Group>
        </Field>
      )}
      {d.holdIds.length > 0 && (
        <Field label={t('decision.holds')}>
          <Group gap={6}>
            {d.holdIds.map((h) => (
              <Anchor key={h} component={Link} to={`/holds/${h}`} size="sm">
                {h}
              </Anchor>
            ))}
          </Group>
        </Field>
      )}
      <Field label={t('decision.policy')}>
        <Code>{d.policy || '—'}</Code>
      </Field>
      <Field label={t('decision.latency')}>
        {d.latencyUs === null ? '—' : t('decision.latencyValue', { ms: (d.latencyUs / 1000).toFixed(1) })}
      </Field>
    </KeyValues>
  );
}

function Messages({ d }: { d: DecisionRecord }) {
  const { t } = useI18n();
  const messages = d.detail?.messages ?? null;
  const warnings = d.detail?.warnings ?? [];
  if (!messages && !d.customerMessage) {
    return (
      <Text size="sm" c="dimmed">
        {t('decision.noMessage')}
      </Text>
    );
  }
  return (
    <Stack gap="xs" data-testid="decision-messages">
      <div>
        <Text size="xs" c="dimmed">
          {t('decision.messageEn')}
        </Text>
        <Text size="sm" lang="en">
          {messages?.en ?? d.customerMessage}
        </Text>
      </div>
      {messages && (
        <div>
          <Text size="xs" c="dimmed">
            {t('decision.messageZh')}
          </Text>
          <Text size="sm" lang="zh-CN">
            {messages.zhCN}
          </Text>
        </div>
      )}
      {warnings.length > 0 && (
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            {t('decision.warnings')}
          </Text>
          {warnings.map((w) => (
            <Alert key={w.key} color="orange" variant="light" p="xs">
              <Text size="sm" lang="en">
                {w.en}
              </Text>
              <Text size="sm" lang="zh-CN">
                {w.zhCN}
              </Text>
            </Alert>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

function geoText(g: NonNullable<EventSnapshot['geo']>): string {
  const place = [g.country, g.region].filter(Boolean).join(' · ');
  const at = g.lat !== null && g.lon !== null ? `${g.lat.toFixed(3)}, ${g.lon.toFixed(3)}` : '';
  return [place, at].filter(Boolean).join(' · ') || '—';
}

function EventFields({ d }: { d: DecisionRecord }) {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const e = d.input;
  const currency = e.currency ?? d.currency;
  const amount = e.amountMinor ?? d.amountMinor;
  return (
    <KeyValues>
      <Field label={t('field.kind')} w={170}>
        {kindLabel(e.type ?? d.eventType)}
      </Field>
      <Field label={t('field.amount')}>{amount && currency ? i18n.money(amount, currency) : '—'}</Field>
      {e.counterpartyId && (
        <Field label={t('decision.counterparty')}>
          {e.counterpartyId.startsWith('cus_') ? (
            <Anchor component={Link} to={`/customers/${e.counterpartyId}`}>
              <Id value={e.counterpartyId} />
            </Anchor>
          ) : (
            <Id value={e.counterpartyId} />
          )}
        </Field>
      )}
      <Field label={t('decision.channel')}>{e.channel ?? '—'}</Field>
      <Field label={t('decision.device')}>
        <Id value={e.deviceId} />
      </Field>
      <Field label={t('decision.ip')}>{e.ip ? <Code>{e.ip}</Code> : '—'}</Field>
      <Field label={t('decision.geo')}>{e.geo ? geoText(e.geo) : '—'}</Field>
      <Field label={t('decision.eventAt')}>{i18n.dateTime(e.at ?? d.eventAt)}</Field>
      <Field label={t('decision.decidedAt')}>{i18n.dateTime(d.createdAt)}</Field>
      {e.failed && (
        <Field label={t('field.status')}>
          <Text size="sm">{t('decision.failedEvent')}</Text>
        </Field>
      )}
    </KeyValues>
  );
}

function Health({ d }: { d: DecisionRecord }) {
  const i18n = useI18n();
  const { t } = i18n;
  const detail = d.detail;
  if (!detail) return null;
  return (
    <KeyValues>
      <Field label={t('decision.degraded')} w={170}>
        {d.degraded ? (
          <Badge color="orange" variant="light">
            {t('decision.degradedYes')}
          </Badge>
        ) : (
          t('decision.no')
        )}
      </Field>
      <Field label={t('decision.degradedSources')}>
        {detail.degradedSources.length > 0 ? detail.degradedSources.join(', ') : t('decision.none')}
      </Field>
      <Field label={t('decision.failSafe')}>
        {detail.failSafe ? <OutcomeBadge outcome={detail.failSafe} /> : t('decision.failSafeNone')}
      </Field>
      {detail.challengePassed && (
        <Field label={t('decision.challengePassed')}>{t('decision.challengePassedYes')}</Field>
      )}
      {detail.frozenAt && <Field label={t('decision.frozenAt')}>{i18n.dateTime(detail.frozenAt)}</Field>}
    </KeyValues>
  );
}

function Limits({ d }: { d: DecisionRecord }) {
  const i18n = useI18n();
  const { t } = i18n;
  const limits = d.detail?.limits ?? null;
  const read = Object.entries(d.input.limits ?? {}).filter(
    ([k]) => !['type', 'customerId', 'counterpartyId', 'currency', 'amountMinor', 'channel'].includes(k),
  );
  const currency = d.input.currency ?? d.currency;
  return (
    <Stack gap="xs">
      {limits && (
        <Group gap="xs">
          <Text size="sm">{t('decision.limitsOutcome')}</Text>
          <OutcomeBadge outcome={limits.outcome} />
          {limits.reasonCodes.map((c) => (
            <Code key={c}>{c}</Code>
          ))}
        </Group>
      )}
      {read.length > 0 ? (
        <>
          <Text size="xs" c="dimmed">
            {t('decision.limitsInput')}
          </Text>
          <KeyValues>
            {read.map(([k, v]) => (
              <Field key={k} label={k} w={240}>
                {k.endsWith('Minor') && currency && /^-?[0-9]{1,30}$/.test(v) ? i18n.money(v, currency) : v}
              </Field>
            ))}
          </KeyValues>
        </>
      ) : (
        !limits && (
          <Text size="sm" c="dimmed">
            {t('decision.none')}
          </Text>
        )
      )}
    </Stack>
  );
}

const LEVEL_COLORS: Record<ModelLevel, string> = { low: 'green', medium: 'yellow', high: 'red' };
const LEVEL_KEYS = {
  low: 'modelLevel.low',
  medium: 'modelLevel.medium',
  high: 'modelLevel.high',
} as const satisfies Record<ModelLevel, MessageKey>;

function LevelBadge({ level }: { level: string }) {
  const { t } = useI18n();
  return (
    <Badge
      color={isModelLevel(level) ? LEVEL_COLORS[level] : 'gray'}
      variant="light"
      size="sm"
      data-testid="model-level"
      data-level={level}
    >
      {isModelLevel(level) ? t(LEVEL_KEYS[level]) : level || '—'}
    </Badge>
  );
}

/** A push toward fraud (positive log-odds) and one toward legitimate, as the bars show them. */
const TOWARD_FRAUD = 'var(--mantine-color-orange-7)';
const TOWARD_LEGIT = 'var(--mantine-color-blue-6)';
/** Sums and amounts are minor units of the event's currency (the engine's own naming, as in its explanation). */
const AMOUNT_LIKE = /(sum|Amount)(_|$)/;

/** The value a contribution's feature had: the event's amount, else the decision's feature value. */
function useContributionValue(d: DecisionRecord): (feature: string) => string {
  const i18n = useI18n();
  const currency = d.input.currency ?? d.currency;
  const features = new Map<string, FeatureValue>((d.detail?.features ?? []).map((f) => [f.name, f.value]));
  return (feature) => {
    if (feature === 'event.amount') {
      const amount = d.input.amountMinor ?? d.amountMinor;
      return amount && currency ? i18n.money(amount, currency) : '—';
    }
    if (!features.has(feature)) return '—';
    const v = features.get(feature) ?? null;
    if (v === null) return 'null';
    if (typeof v === 'number') {
      if (currency && Number.isInteger(v) && AMOUNT_LIKE.test(feature))
        return i18n.money(String(v), currency);
      return i18n.number(Number.isInteger(v) ? v : Math.round(v * 1000) / 1000);
    }
    return String(v);
  };
}

/**
 * The champion's score and level with what pushed it, as a bar per feature from a
 * middle line (toward fraud one way and colour, toward legitimate the other), and the
 * challengers' shadow scores of the same event.
 */
function ModelSection({ d }: { d: DecisionWithShadow }) {
  const { t } = useI18n();
  const model = d.detail?.model ?? null;
  const featureValue = useContributionValue(d);
  const shadow = d.modelShadow;
  if (!model && shadow.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('decision.modelNone')}
      </Text>
    );
  }
  const contributions = model
    ? [...model.contributions].sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
    : [];
  const max = Math.max(1e-9, ...contributions.map((c) => Math.abs(c.value)));
  const push = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
  return (
    <Stack gap="sm" data-testid="decision-model">
      {model ? (
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            {t('decision.modelChampion')}
          </Text>
          <Code>{model.name}</Code>
          <Text size="sm" fw={600} data-testid="decision-model-score">
            {t('decision.modelScoreOf', { score: model.score.toFixed(3) })}
          </Text>
          <LevelBadge level={model.level} />
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          {t('decision.modelNoChampion')}
        </Text>
      )}
      {contributions.length > 0 && (
        <Stack gap={4}>
          <Group justify="space-between" gap="xs">
            <Text size="xs" c="dimmed">
              {t('decision.modelPushes')}
            </Text>
            <Group gap="sm">
              <Swatch color={TOWARD_LEGIT} label={t('decision.modelTowardLegit')} />
              <Swatch color={TOWARD_FRAUD} label={t('decision.modelTowardFraud')} />
            </Group>
          </Group>
          <Stack gap={4} role="list" data-testid="decision-model-contributions">
            {contributions.map((c) => {
              const value = featureValue(c.feature);
              const width = `${Math.max(2, (Math.abs(c.value) / max) * 100)}%`;
              const toward = c.value >= 0 ? TOWARD_FRAUD : TOWARD_LEGIT;
              return (
                <Box
                  key={c.feature}
                  role="listitem"
                  aria-label={t('decision.modelContribution', {
                    feature: c.feature,
                    value,
                    push: push(c.value),
                  })}
                  data-testid={`model-contribution-${c.feature}`}
                  data-sign={c.value >= 0 ? 'fraud' : 'legit'}
                  style={{
                    display: 'grid',
                    gridTemplateColumns: 'minmax(0, 1.2fr) minmax(0, 1fr) 3.2rem',
                    alignItems: 'center',
                    gap: 8,
                  }}
                >
                  <Text size="xs" truncate title={`${c.feature} = ${value}`} aria-hidden>
                    <Text span size="xs" ff="monospace">
                      {c.feature}
                    </Text>{' '}
                    <Text span size="xs" c="dimmed">
                      = {value}
                    </Text>
                  </Text>
                  <Box style={{ display: 'flex', height: 10 }} aria-hidden>
                    <Box style={{ flex: 1, display: 'flex', justifyContent: 'flex-end' }}>
                      {c.value < 0 && (
                        <Box style={{ width, background: toward, borderRadius: '2px 0 0 2px' }} />
                      )}
                    </Box>
                    <Box
                      style={{
                        flex: 1,
                        display: 'flex',
                        borderLeft: '1px solid var(--mantine-color-dimmed)',
                      }}
                    >
                      {c.value >= 0 && (
                        <Box style={{ width, background: toward, borderRadius: '0 2px 2px 0' }} />
                      )}
                    </Box>
                  </Box>
                  <Text size="xs" ff="monospace" ta="right" style={{ color: toward }} aria-hidden>
                    {push(c.value)}
                  </Text>
                </Box>
              );
            })}
          </Stack>
        </Stack>
      )}
      {shadow.length > 0 && (
        <Stack gap={4} data-testid="decision-model-shadow">
          <Text size="xs" c="dimmed">
            {t('decision.modelShadow')}
          </Text>
          {shadow.map((s) => (
            <Group key={s.name} gap="xs" data-testid={`model-shadow-${s.name}`}>
              <Code>{s.name}</Code>
              <Text size="sm">{t('decision.modelScoreOf', { score: s.score.toFixed(3) })}</Text>
              <LevelBadge level={s.level} />
            </Group>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

function Swatch({ color, label }: { color: string; label: string }) {
  return (
    <Group gap={4} wrap="nowrap">
      <Box w={10} h={10} style={{ background: color, borderRadius: 2 }} aria-hidden />
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Group>
  );
}
