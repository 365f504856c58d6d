import { Anchor, Badge, Code, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { type BacktestResult, type RuleTally, ruleHitRows, scenarioRows } from '../../api/backtests.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Id, OutcomeBadge, useKindLabel } from '../Common.tsx';

function TallyCells({ tally }: { tally: RuleTally | null }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (!tally) {
    return (
      <Table.Td colSpan={2} ta="right">
        <Text size="xs" c="dimmed">
          {t('backtest.notInSet')}
        </Text>
      </Table.Td>
    );
  }
  return (
    <>
      <Table.Td ta="right">
        {i18n.number(tally.hits)}
        {tally.shadow && (
          <Badge size="xs" color="violet" variant="light" ml={6}>
            {t('backtest.mode.shadow')}
          </Badge>
        )}
      </Table.Td>
      <Table.Td ta="right" c={tally.errors > 0 ? 'orange' : undefined}>
        {i18n.number(tally.errors)}
      </Table.Td>
    </>
  );
}

/** Hits and errors per rule version in both sets; a version only one set has says so. */
export function RuleHits({ result }: { result: BacktestResult }) {
  const { t } = useI18n();
  const rows = ruleHitRows(result);
  if (rows.length === 0) return <Text c="dimmed">{t('state.empty')}</Text>;
  return (
    <Table.ScrollContainer minWidth={620}>
      <Table data-testid="bt-rules" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th rowSpan={2}>{t('backtest.col.rule')}</Table.Th>
            <Table.Th colSpan={2} ta="center">
              {t('backtest.baseline')}
            </Table.Th>
            <Table.Th colSpan={2} ta="center">
              {t('backtest.candidate')}
            </Table.Th>
          </Table.Tr>
          <Table.Tr>
            <Table.Th ta="right">{t('backtest.col.hits')}</Table.Th>
            <Table.Th ta="right">{t('backtest.col.errors')}</Table.Th>
            <Table.Th ta="right">{t('backtest.col.hits')}</Table.Th>
            <Table.Th ta="right">{t('backtest.col.errors')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={`${r.ruleId}@${r.version}`} data-testid={`bt-rule-${r.ruleId}@${r.version}`}>
              <Table.Td>
                <Anchor component={Link} to={`/rules/${encodeURIComponent(r.ruleId)}`} size="sm">
                  {r.ruleId}
                </Anchor>{' '}
                <Text span size="xs" c="dimmed">
                  v{r.version}
                </Text>
              </Table.Td>
              <TallyCells tally={r.baseline} />
              <TallyCells tally={r.candidate} />
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Recall per fraud scenario of both sets. */
export function Scenarios({ result }: { result: BacktestResult }) {
  const i18n = useI18n();
  const { t } = i18n;
  const rows = scenarioRows(result);
  if (rows.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('backtest.scenariosNone')}
      </Text>
    );
  }
  const cell = (s: { flagged: number; recall: number | null } | null) =>
    s
      ? t('backtest.flaggedRecall', { flagged: i18n.number(s.flagged), recall: i18n.percent(s.recall) })
      : '—';
  return (
    <Table data-testid="bt-scenarios">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('backtest.col.scenario')}</Table.Th>
          <Table.Th ta="right">{t('backtest.col.positives')}</Table.Th>
          <Table.Th ta="right">{t('backtest.baseline')}</Table.Th>
          <Table.Th ta="right">{t('backtest.candidate')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.scenario}>
            <Table.Td>
              <Code>{r.scenario}</Code>
            </Table.Td>
            <Table.Td ta="right">{i18n.number(r.positives)}</Table.Td>
            <Table.Td ta="right">{cell(r.baseline)}</Table.Td>
            <Table.Td ta="right">{cell(r.candidate)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function DecisionLink({ id }: { id: string }) {
  return (
    <Anchor
      component={Link}
      to={`/decisions/${encodeURIComponent(id)}`}
      size="sm"
      data-testid={`bt-decision-${id}`}
    >
      <Id value={id} />
    </Anchor>
  );
}

function RuleList({ rules }: { rules: string[] }) {
  if (rules.length === 0) return <>—</>;
  return (
    <Group gap={4}>
      {rules.map((r) => (
        <Code key={r}>{r}</Code>
      ))}
    </Group>
  );
}

/** The events the candidate decides otherwise: transitions by count, then the first examples with links. */
export function Diff({ result }: { result: BacktestResult }) {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const { diff } = result;
  if (diff.changed === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="bt-diff-none">
        {t('backtest.noChange')}
      </Text>
    );
  }
  return (
    <Stack gap="sm" data-testid="bt-diff">
      <Text size="sm">{t('backtest.changed', { count: i18n.number(diff.changed) })}</Text>
      <Table w="auto">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('backtest.col.from')}</Table.Th>
            <Table.Th>{t('backtest.col.to')}</Table.Th>
            <Table.Th ta="right">{t('backtest.col.count')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {diff.transitions.map((tr) => (
            <Table.Tr key={`${tr.from}>${tr.to}`}>
              <Table.Td>
                <OutcomeBadge outcome={tr.from} />
              </Table.Td>
              <Table.Td>
                <OutcomeBadge outcome={tr.to} />
              </Table.Td>
              <Table.Td ta="right">{i18n.number(tr.count)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {diff.examples.length > 0 && (
        <>
          <Text size="sm" fw={600}>
            {t('backtest.examples', { count: diff.examples.length })}
          </Text>
          <Table.ScrollContainer minWidth={900}>
            <Table data-testid="bt-examples" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('backtest.col.decision')}</Table.Th>
                  <Table.Th>{t('backtest.col.time')}</Table.Th>
                  <Table.Th>{t('backtest.col.eventType')}</Table.Th>
                  <Table.Th ta="right">{t('backtest.col.amount')}</Table.Th>
                  <Table.Th>{t('backtest.col.from')}</Table.Th>
                  <Table.Th>{t('backtest.col.to')}</Table.Th>
                  <Table.Th>{t('backtest.col.baselineRules')}</Table.Th>
                  <Table.Th>{t('backtest.col.candidateRules')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {diff.examples.map((e) => (
                  <Table.Tr key={e.decisionId}>
                    <Table.Td>
                      <DecisionLink id={e.decisionId} />
                    </Table.Td>
                    <Table.Td>{i18n.dateTime(e.at)}</Table.Td>
                    <Table.Td>{kindLabel(e.eventType)}</Table.Td>
                    <Table.Td ta="right">
                      {e.amountMinor && e.currency ? i18n.money(e.amountMinor, e.currency) : '—'}
                    </Table.Td>
                    <Table.Td>
                      <OutcomeBadge outcome={e.baseline} />
                    </Table.Td>
                    <Table.Td>
                      <OutcomeBadge outcome={e.candidate} />
                    </Table.Td>
                    <Table.Td>
                      <RuleList rules={e.baselineRules} />
                    </Table.Td>
                    <Table.Td>
                      <RuleList rules={e.candidateRules} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Stack>
  );
}

/** The baseline replayed against what the live engine stored, overall and for the baseline's own revision. */
export function Agreement({ result }: { result: BacktestResult }) {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const a = result.liveAgreement;
  const value = (c: { compared: number; agreed: number; rate: number | null }) =>
    t('backtest.agreementValue', {
      agreed: i18n.number(c.agreed),
      compared: i18n.number(c.compared),
      rate: i18n.percent(c.rate),
    });
  return (
    <Stack gap="xs" data-testid="bt-agreement">
      <Text size="xs" c="dimmed">
        {t('backtest.agreementHint')}
      </Text>
      <Table variant="vertical" layout="fixed">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={280}>{t('backtest.agreementAll')}</Table.Th>
            <Table.Td>{value(a)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>{t('backtest.agreementSame')}</Table.Th>
            <Table.Td>{value(a.sameRevision)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {a.disagreements.length > 0 && (
        <>
          <Text size="sm" fw={600}>
            {t('backtest.disagreements')}
          </Text>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('backtest.col.decision')}</Table.Th>
                <Table.Th>{t('backtest.col.eventType')}</Table.Th>
                <Table.Th>{t('backtest.col.live')}</Table.Th>
                <Table.Th>{t('backtest.col.replayed')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {a.disagreements.map((d) => (
                <Table.Tr key={d.decisionId}>
                  <Table.Td>
                    <DecisionLink id={d.decisionId} />
                  </Table.Td>
                  <Table.Td>{kindLabel(d.eventType)}</Table.Td>
                  <Table.Td>
                    <OutcomeBadge outcome={d.live} />
                  </Table.Td>
                  <Table.Td>
                    <OutcomeBadge outcome={d.replayed} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Stack>
  );
}
