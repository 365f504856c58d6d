import { Anchor, Badge, Code, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { type RuleRowStatus, type RulesDetail, ruleRows } from '../../api/decisions.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { OutcomeBadge, useOutcomeLabel } from '../Common.tsx';

const STATUS: Record<RuleRowStatus, { key: MessageKey; color: string }> = {
  hit: { key: 'decision.rule.hit', color: 'red' },
  shadowHit: { key: 'decision.rule.shadowHit', color: 'violet' },
  error: { key: 'decision.rule.error', color: 'orange' },
  notMatched: { key: 'decision.rule.notMatched', color: 'gray' },
};

/** The rules a decision evaluated: which acted, which matched in shadow, which failed, with versions and scores. */
export function RulesEvaluated({ rules }: { rules: RulesDetail }) {
  const i18n = useI18n();
  const { t } = i18n;
  const outcomeLabel = useOutcomeLabel();
  const rows = ruleRows(rules);
  const hits = rows.filter((r) => r.status === 'hit' || r.status === 'shadowHit').length;
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Text size="sm">{t('decision.rulesOutcome')}</Text>
        <OutcomeBadge outcome={rules.outcome} />
        <Text size="sm">
          {t('decision.score')} {i18n.number(rules.score)}
        </Text>
        {rules.revision && (
          <Text size="sm" c="dimmed">
            {t('decision.rulesRevision', { revision: rules.revision })}
          </Text>
        )}
      </Group>
      {rules.withShadow && (
        <Text size="sm" c="dimmed">
          {t('decision.withShadow', {
            outcome: outcomeLabel(rules.withShadow.outcome),
            score: i18n.number(rules.withShadow.score),
          })}
        </Text>
      )}
      <Text size="sm" c="dimmed">
        {t('decision.evaluatedCount', { hits, count: rows.length })}
      </Text>
      <Table.ScrollContainer minWidth={620}>
        <Table data-testid="decision-rules" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('decision.col.rule')}</Table.Th>
              <Table.Th>{t('decision.col.result')}</Table.Th>
              <Table.Th>{t('decision.col.action')}</Table.Th>
              <Table.Th ta="right">{t('decision.col.score')}</Table.Th>
              <Table.Th>{t('decision.col.reasonCode')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr
                key={`${r.ruleId}@${r.version}`}
                data-testid={`decision-rule-${r.ruleId}`}
                data-status={r.status}
              >
                <Table.Td>
                  <Anchor component={Link} to={`/rules/${encodeURIComponent(r.ruleId)}`} size="sm">
                    {r.ruleId}
                  </Anchor>{' '}
                  <Text span size="xs" c="dimmed">
                    v{r.version}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge
                    color={STATUS[r.status].color}
                    variant={r.status === 'notMatched' ? 'outline' : 'light'}
                  >
                    {t(STATUS[r.status].key)}
                  </Badge>
                </Table.Td>
                <Table.Td>{r.hit ? <OutcomeBadge outcome={r.hit.action} /> : '—'}</Table.Td>
                <Table.Td ta="right">{r.hit ? `${r.hit.score >= 0 ? '+' : ''}${r.hit.score}` : '—'}</Table.Td>
                <Table.Td>{r.hit ? <Code>{r.hit.reasonCode}</Code> : '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rules.errors.length > 0 && (
        <Stack gap={4} data-testid="decision-rule-errors">
          <Text size="sm" fw={600}>
            {t('decision.ruleErrors')}
          </Text>
          {rules.errors.map((e) => (
            <Text key={`${e.ruleId}@${e.version}`} size="sm">
              <Code>
                {e.ruleId} v{e.version}
              </Code>{' '}
              {e.shadow ? `(${t('decision.rule.shadowHit')}) ` : ''}
              {e.message}
            </Text>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
