import { Alert, Anchor, Badge, Code, Group, List, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { type DecisionRecord, decisionKey, decisionRecord, type EventSnapshot } from '../api/decisions.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OutcomeBadge, PageHeader, useKindLabel } from '../components/Common.tsx';
import { Field, KeyValues, Section } from '../components/Detail.tsx';
import { FeaturesTable } from '../components/decision/FeaturesTable.tsx';
import { LabelPanel } from '../components/decision/LabelPanel.tsx';
import { ModelContributions } from '../components/decision/ModelContributions.tsx';
import { RulesEvaluated } from '../components/decision/RulesEvaluated.tsx';
import { QueryView } from '../components/States.tsx';
import { type I18n, useI18n } from '../i18n/index.tsx';

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
    queryFn: () => api.get(`/v1/decisions/${encodeURIComponent(id)}`, decisionRecord),
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
                  {d.detail.model ? (
                    <Stack gap="xs">
                      <Text size="sm">
                        {t('decision.modelScore', {
                          name: d.detail.model.name,
                          score: d.detail.model.score.toFixed(3),
                          level: d.detail.model.level,
                        })}
                      </Text>
                      {d.detail.model.contributions.length > 0 && (
                        <ModelContributions contributions={d.detail.model.contributions} />
                      )}
                    </Stack>
                  ) : (
                    <Text size="sm" c="dimmed">
                      {t('decision.modelNone')}
                    </Text>
                  )}
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
