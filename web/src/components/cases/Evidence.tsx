import { Anchor, Badge, Blockquote, Code, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { type Alert, type Contribution, isAlertSource } from '../../api/cases.ts';
import { isModelLevel } from '../../api/models.ts';
import { useAuth } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { OutcomeBadge, useKindLabel } from '../Common.tsx';
import { Due, SeverityBadge, SOURCE_KEYS, useAlertTypeLabel } from './labels.tsx';

/** Each alert of the case with what raised it: reason codes, rules hit, the model's score and what pushed it. */
export function EvidenceList({ alerts, nowMs }: { alerts: Alert[]; nowMs: number }) {
  return (
    <Stack gap="sm">
      {alerts.map((a) => (
        <AlertEvidence key={a.id} a={a} nowMs={nowMs} />
      ))}
    </Stack>
  );
}

function AlertEvidence({ a, nowMs }: { a: Alert; nowMs: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const typeLabel = useAlertTypeLabel();
  const kindLabel = useKindLabel();
  const e = a.evidence;
  const fromDecision = a.source === 'decision';
  return (
    <Paper withBorder p="sm" radius="sm" data-testid={`alert-evidence-${a.id}`}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Group gap="xs">
            <SeverityBadge severity={a.severity} />
            <Text fw={600}>{typeLabel(a.type)}</Text>
            <Badge variant="outline" color="gray" size="sm">
              {isAlertSource(a.source) ? t(SOURCE_KEYS[a.source]) : a.source}
            </Badge>
            {a.status === 'closed' && (
              <Badge variant="outline" color="gray" size="sm">
                {t('caseStatus.closed')}
              </Badge>
            )}
          </Group>
          {a.amountMinor !== null && a.currency !== null && (
            <Text fw={700} style={{ whiteSpace: 'nowrap' }} data-testid="alert-amount">
              {i18n.money(a.amountMinor, a.currency)}
            </Text>
          )}
        </Group>
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            {t('evidence.raised', { time: i18n.dateTime(a.createdAt) })} ·
          </Text>
          {a.status === 'open' ? (
            <Due dueAt={a.dueAt} overdue={a.overdue} nowMs={nowMs} />
          ) : (
            <Text size="xs" c="dimmed">
              {i18n.dateTime(a.closedAt)}
            </Text>
          )}
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing={6}>
          {e.outcome && (
            <Fact label={t('evidence.outcome')}>
              <Group gap={6}>
                <OutcomeBadge outcome={e.outcome} />
                {e.eventType && <Text size="sm">{kindLabel(e.eventType)}</Text>}
              </Group>
            </Fact>
          )}
          {e.reasonCodes.length > 0 && (
            <Fact label={t('evidence.reasons')}>
              <Group gap={4} data-testid="evidence-reasons">
                {e.reasonCodes.map((r) => (
                  <Code key={r}>{r}</Code>
                ))}
              </Group>
            </Fact>
          )}
          {fromDecision && e.rules.length > 0 && e.score !== null && (
            <Fact label={t('evidence.ruleScore')}>
              <Text size="sm">{i18n.number(e.score)}</Text>
            </Fact>
          )}
          {fromDecision && (
            <Fact label={t('evidence.model')}>
              {e.model && e.model.score !== null ? (
                <Text size="sm" data-testid="evidence-model">
                  {e.model.name ? `${e.model.name}: ` : ''}
                  {t('evidence.modelValue', {
                    score: e.model.score.toFixed(3),
                    level:
                      e.model.level && isModelLevel(e.model.level)
                        ? t(`modelLevel.${e.model.level}`)
                        : (e.model.level ?? '—'),
                  })}
                </Text>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('evidence.noModel')}
                </Text>
              )}
            </Fact>
          )}
        </SimpleGrid>
        {fromDecision && (
          <Fact label={t('evidence.rules')}>
            {e.rules.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('evidence.noRules')}
              </Text>
            ) : (
              <Stack gap={2} data-testid="evidence-rules">
                {e.rules.map((r) => (
                  <Group key={`${r.ruleId}@${r.version}`} gap={6}>
                    {auth.can('rule.read') ? (
                      <Anchor component={Link} to={`/rules/${encodeURIComponent(r.ruleId)}`} size="sm">
                        {`${r.ruleId} v${r.version}`}
                      </Anchor>
                    ) : (
                      <Text size="sm">{`${r.ruleId} v${r.version}`}</Text>
                    )}
                    {r.reasonCode && <Code>{r.reasonCode}</Code>}
                    {r.shadow && (
                      <Badge size="xs" variant="outline" color="violet">
                        {t('evidence.shadow')}
                      </Badge>
                    )}
                  </Group>
                ))}
              </Stack>
            )}
          </Fact>
        )}
        {e.model && e.model.contributions.length > 0 && <Contributions items={e.model.contributions} />}
        {e.customerMessage && (
          <Blockquote p="xs" color="gray" data-testid="evidence-message">
            <Text size="xs" c="dimmed" mb={2}>
              {t('evidence.customerMessage')}
            </Text>
            <Text size="sm">{e.customerMessage}</Text>
          </Blockquote>
        )}
        {e.explanation.length > 0 && (
          <Fact label={t('evidence.explanation')}>
            <Stack gap={0}>
              {e.explanation.map((line) => (
                <Text key={line} size="sm" ff="monospace">
                  {line}
                </Text>
              ))}
            </Stack>
          </Fact>
        )}
        {e.facts.length > 0 && (
          <Fact label={t('evidence.facts')}>
            <Group gap={6}>
              {e.facts.map(([k, v]) => (
                <Code key={k}>{`${k}: ${v}`}</Code>
              ))}
            </Group>
          </Fact>
        )}
        {a.decisionId && auth.can('ledger.read') && (
          <Anchor
            component={Link}
            to={`/decisions/${encodeURIComponent(a.decisionId)}`}
            size="sm"
            data-testid="open-decision"
          >
            {t('evidence.openDecision')}
          </Anchor>
        )}
      </Stack>
    </Paper>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {children}
    </div>
  );
}

/** The model's largest pushes as bars: toward fraud in red, toward legitimate in green. */
function Contributions({ items }: { items: Contribution[] }) {
  const { t } = useI18n();
  const max = Math.max(1e-9, ...items.map((c) => Math.abs(c.value)));
  return (
    <div>
      <Text size="xs" c="dimmed" mb={4}>
        {t('evidence.contributions')}
      </Text>
      <Stack gap={4} data-testid="evidence-contributions">
        {items.map((c) => {
          const fraud = c.value > 0;
          return (
            <Group key={c.feature} gap="xs" wrap="nowrap">
              <Text size="xs" ff="monospace" w={200} truncate title={c.feature}>
                {c.feature}
              </Text>
              <div
                role="img"
                aria-label={t(fraud ? 'decision.modelTowardFraud' : 'decision.modelTowardLegit')}
                style={{
                  height: 8,
                  width: `${Math.max(2, (Math.abs(c.value) / max) * 140)}px`,
                  borderRadius: 4,
                  background: fraud ? 'var(--mantine-color-red-6)' : 'var(--mantine-color-green-6)',
                }}
              />
              <Text size="xs" c={fraud ? 'red' : 'green'}>
                {`${c.value > 0 ? '+' : ''}${c.value.toFixed(3)}`}
              </Text>
            </Group>
          );
        })}
      </Stack>
    </div>
  );
}
