import {
  Anchor,
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  isRuleState,
  leadVersion,
  RULE_KEYS,
  RULE_STATES,
  type Rule,
  type RuleState,
  ruleList,
} from '../api/rules.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { OutcomeBadge, PageHeader } from '../components/Common.tsx';
import { PrecisionPanel } from '../components/cases/RulePrecision.tsx';
import { RuleStateBadge, STATE_KEYS, VersionBadges } from '../components/rules/labels.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

type Filter = 'all' | RuleState;

function matches(r: Rule, filter: Filter, words: string[]): boolean {
  if (filter !== 'all' && !r.versions.some((v) => v.state === filter)) return false;
  if (words.length === 0) return true;
  const lead = leadVersion(r);
  const hay = `${r.id} ${r.name} ${r.description} ${lead?.reasonCode ?? ''}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Every rule with its versions and their states; the acting version's action, score and reason code. */
export function Rules() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const [filter, setFilter] = useState<Filter>('all');
  const [query, setQuery] = useState('');
  const list = useQuery({
    queryKey: RULE_KEYS.all,
    queryFn: () => api.get('/v1/risk/rules', ruleList),
  });
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = list.data ? list.data.rules.filter((r) => matches(r, filter, words)) : [];

  return (
    <>
      <PageHeader
        title={t('rules.title')}
        description={t('rules.description')}
        right={
          auth.can('rule.write') ? (
            <Button component={Link} to="/rules/new" data-testid="new-rule">
              {t('rules.new')}
            </Button>
          ) : undefined
        }
      />
      <Group mb="md" justify="space-between" align="flex-end">
        <SegmentedControl
          aria-label={t('rules.filter')}
          data-testid="rule-state-filter"
          value={filter}
          onChange={(v) => setFilter(v === 'all' || isRuleState(v) ? v : 'all')}
          data={[
            { value: 'all', label: t('rules.filterAll') },
            ...RULE_STATES.map((s) => ({ value: s, label: t(STATE_KEYS[s]) })),
          ]}
        />
        <TextInput
          aria-label={t('rules.search')}
          placeholder={t('rules.searchHint')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          type="search"
          w={300}
        />
      </Group>
      <Stack>
        <PrecisionPanel rules={list.data?.rules ?? []} />
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : shown.length === 0 ? (
          <Empty>{list.data.rules.length === 0 ? t('rules.none') : t('rules.empty')}</Empty>
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={980}>
              <Table highlightOnHover verticalSpacing="sm" data-testid="rules-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('rules.col.rule')}</Table.Th>
                    <Table.Th miw={170}>{t('rules.col.versions')}</Table.Th>
                    <Table.Th miw={200}>{t('rule.field.action')}</Table.Th>
                    <Table.Th ta="right">{t('rule.field.score')}</Table.Th>
                    <Table.Th>{t('rule.field.reasonCode')}</Table.Th>
                    <Table.Th>{t('rules.col.updated')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {shown.map((r) => {
                    const lead = leadVersion(r);
                    return (
                      <Table.Tr key={r.id} data-testid={`rule-row-${r.id}`}>
                        <Table.Td maw={380}>
                          <Anchor component={Link} to={`/rules/${encodeURIComponent(r.id)}`} fw={600}>
                            {r.name}
                          </Anchor>
                          <Text size="xs" c="dimmed">
                            <Code>{r.id}</Code>
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <VersionBadges versions={r.versions} />
                        </Table.Td>
                        <Table.Td>
                          {lead ? (
                            <Group gap={4} wrap="nowrap">
                              <OutcomeBadge outcome={lead.action} />
                              {lead.state !== 'active' && <RuleStateBadge state={lead.state} size="xs" />}
                            </Group>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                        <Table.Td ta="right">{lead ? i18n.number(lead.score) : '—'}</Table.Td>
                        <Table.Td>{lead ? <Code>{lead.reasonCode}</Code> : '—'}</Table.Td>
                        <Table.Td>
                          <Text size="sm">{i18n.dateTime(r.updatedAt)}</Text>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
        {list.data && (
          <Text size="sm" c="dimmed">
            {t('rules.count', { shown: shown.length, total: list.data.rules.length })}
          </Text>
        )}
      </Stack>
    </>
  );
}
