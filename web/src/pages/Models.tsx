import { Anchor, Badge, Card, Code, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { isModelStatus, MODEL_KEYS, MODEL_STATUSES, type ModelStatus, modelList } from '../api/models.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Id, PageHeader, useKindLabel } from '../components/Common.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

type Filter = 'all' | ModelStatus;

/** Short values a narrow column must not break (a badge would be cut off). */
const NOWRAP = { whiteSpace: 'nowrap' } as const;

export const MODEL_STATUS_KEYS: Record<ModelStatus, MessageKey> = {
  candidate: 'modelStatus.candidate',
  challenger: 'modelStatus.challenger',
  champion: 'modelStatus.champion',
  retired: 'modelStatus.retired',
};
const STATUS_COLORS: Record<ModelStatus, string> = {
  candidate: 'gray',
  challenger: 'violet',
  champion: 'green',
  retired: 'dark',
};

export function ModelStatusBadge({ status, size }: { status: ModelStatus; size?: 'xs' | 'sm' | 'md' }) {
  const { t } = useI18n();
  return (
    <Badge
      color={STATUS_COLORS[status]}
      variant={status === 'retired' ? 'outline' : 'light'}
      size={size ?? 'sm'}
      // A narrow table column must not cut the label off.
      style={{ minWidth: 'max-content' }}
      data-testid="model-status"
      data-status={status}
    >
      {t(MODEL_STATUS_KEYS[status])}
    </Badge>
  );
}

/** A scope is an event type, or `all` for every money movement without a champion of its own. */
export function useScopeLabel(): (scope: string) => string {
  const { t } = useI18n();
  const kindLabel = useKindLabel();
  return (scope) => (scope === 'all' ? t('modelScope.all') : kindLabel(scope));
}

/** Who did something: "you", or the actor's id. */
export function Who({ actor }: { actor: string }) {
  const { t } = useI18n();
  const auth = useAuth();
  if (actor !== '' && actor === auth.staff?.id) return <>{t('model.you')}</>;
  return <Id value={actor} />;
}

/** A training period as dates. Periods are whole UTC days, so they are shown in UTC (no day shifts). */
export function TrainingRange({ from, to }: { from: string | null; to: string | null }) {
  const i18n = useI18n();
  if (!from && !to) return <>—</>;
  const day = new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const text = (iso: string | null) => {
    const ms = iso ? Date.parse(iso) : Number.NaN;
    return Number.isNaN(ms) ? '—' : day.format(ms);
  };
  return (
    <span title={`${from ?? '—'} – ${to ?? '—'}`}>
      {i18n.t('models.range', { from: text(from), to: text(to) })}
    </span>
  );
}

/** Every registered model version, newest first, with its status, training data and trees. */
export function Models() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const scopeLabel = useScopeLabel();
  const [filter, setFilter] = useState<Filter>('all');
  const list = useQuery({
    queryKey: MODEL_KEYS.list(filter),
    queryFn: () => api.get('/v1/risk/models', modelList, { status: filter === 'all' ? undefined : filter }),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader title={t('models.title')} description={t('models.description')} />
      <Group mb="md">
        <SegmentedControl
          aria-label={t('models.filter')}
          data-testid="model-status-filter"
          value={filter}
          onChange={(v) => setFilter(v === 'all' || isModelStatus(v) ? v : 'all')}
          data={[
            { value: 'all', label: t('models.filterAll') },
            ...MODEL_STATUSES.map((s) => ({ value: s, label: t(MODEL_STATUS_KEYS[s]) })),
          ]}
        />
      </Group>
      <Stack>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.length === 0 ? (
          <Empty>{filter === 'all' ? t('models.none') : t('models.empty')}</Empty>
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={960}>
              <Table highlightOnHover verticalSpacing="sm" data-testid="models-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('models.col.model')}</Table.Th>
                    <Table.Th>{t('models.col.scope')}</Table.Th>
                    <Table.Th style={NOWRAP}>{t('models.col.status')}</Table.Th>
                    <Table.Th ta="right">{t('models.col.trees')}</Table.Th>
                    <Table.Th>{t('models.col.training')}</Table.Th>
                    <Table.Th ta="right" style={NOWRAP}>
                      {t('models.col.rows')}
                    </Table.Th>
                    <Table.Th>{t('models.col.created')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.map((m) => (
                    <Table.Tr key={m.id} data-testid={`model-row-${m.id}`} data-status={m.status}>
                      <Table.Td>
                        <Anchor
                          component={Link}
                          to={`/models/${encodeURIComponent(m.id)}`}
                          fw={600}
                          data-testid={`model-link-${m.id}`}
                        >
                          {m.label}
                        </Anchor>
                        <Text size="xs" c="dimmed">
                          <Code>{m.id}</Code>
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{scopeLabel(m.scope)}</Text>
                      </Table.Td>
                      <Table.Td style={NOWRAP}>
                        <ModelStatusBadge status={m.status} />
                      </Table.Td>
                      <Table.Td ta="right">{i18n.number(m.trees)}</Table.Td>
                      <Table.Td style={NOWRAP}>
                        <Text size="sm">
                          <TrainingRange from={m.trainedFrom} to={m.trainedTo} />
                        </Text>
                      </Table.Td>
                      <Table.Td ta="right" style={NOWRAP}>
                        <Text size="sm">
                          {m.training?.rows == null
                            ? '—'
                            : t('models.rowsValue', {
                                rows: i18n.number(m.training.rows),
                                positives: i18n.number(m.training.positives),
                              })}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{i18n.dateTime(m.createdAt)}</Text>
                        <Text size="xs" c="dimmed">
                          <Who actor={m.createdBy} />
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
        {list.data && list.data.length > 0 && (
          <Text size="sm" c="dimmed">
            {t('models.count', { count: i18n.number(list.data.length) })}
          </Text>
        )}
      </Stack>
    </>
  );
}
