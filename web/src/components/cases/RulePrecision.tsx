import { Anchor, Card, Group, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CASE_KEYS, type RulePrecision, rulePrecision } from '../../api/cases.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';

/** The most rules the panel lists: the worst first, the rest are in the API. */
const ROWS_MAX = 20;

/** How many labelled hits were legitimate, for sorting: the rules that misjudge most come first. */
function misjudged(p: RulePrecision): number {
  return (p.acting?.legit ?? 0) + (p.shadow?.legit ?? 0);
}

/**
 * Per-rule precision from labelled outcomes on the rules page: of the decisions a rule hit
 * whose truth became known (case dispositions, chargebacks, reports), how many were fraud
 * and how many legitimate (误判). A server without the cases module shows nothing.
 */
export function PrecisionPanel({ rules }: { rules: ReadonlyArray<{ id: string; name: string }> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const q = useQuery({
    queryKey: CASE_KEYS.precision,
    queryFn: () => api.get('/v1/risk/rule-precision', rulePrecision),
    staleTime: 60_000,
  });
  if (!q.data) return null;
  const names = new Map(rules.map((r) => [r.id, r.name]));
  const rows = [...q.data.entries()]
    .sort((a, b) => misjudged(b[1]) - misjudged(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, ROWS_MAX);
  return (
    <Card withBorder data-testid="rule-precision">
      <Group justify="space-between" align="baseline" mb={rows.length > 0 ? 'xs' : 0}>
        <Title order={3} size="h5">
          {t('rules.precisionTitle')}
        </Title>
        <Text size="xs" c="dimmed" maw={720}>
          {rows.length > 0 ? t('rules.precisionHint') : t('rules.precisionEmpty')}
        </Text>
      </Group>
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('rules.col.rule')}</Table.Th>
                <Table.Th ta="right">{t('rules.col.precision')}</Table.Th>
                <Table.Th ta="right">{t('rules.precisionFraud')}</Table.Th>
                <Table.Th ta="right">{t('rules.precisionMisjudged')}</Table.Th>
                <Table.Th ta="right">{t('rules.precisionLabelled')}</Table.Th>
                <Table.Th>{t('rules.precisionShadowCol')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map(([ruleId, p]) => {
                const a = p.acting;
                return (
                  <Table.Tr key={ruleId} data-testid={`rule-precision-${ruleId}`}>
                    <Table.Td>
                      <Anchor component={Link} to={`/rules/${encodeURIComponent(ruleId)}`} size="sm">
                        {names.get(ruleId) ?? ruleId}
                      </Anchor>
                    </Table.Td>
                    <Table.Td
                      ta="right"
                      fw={600}
                      c={a?.precision != null && a.precision < 0.5 ? 'red' : undefined}
                    >
                      {a ? i18n.percent(a.precision) : '—'}
                    </Table.Td>
                    <Table.Td ta="right">{a ? i18n.number(a.fraud + a.laundering) : '—'}</Table.Td>
                    <Table.Td ta="right" c={a && a.legit > 0 ? 'orange' : undefined}>
                      {a ? i18n.number(a.legit) : '—'}
                    </Table.Td>
                    <Table.Td ta="right">{a ? i18n.number(a.labelled) : '—'}</Table.Td>
                    <Table.Td>
                      <Text size="xs" c="dimmed">
                        {p.shadow
                          ? t('rules.precisionShadow', {
                              precision: i18n.percent(p.shadow.precision),
                              labelled: i18n.number(p.shadow.labelled),
                            })
                          : '—'}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
