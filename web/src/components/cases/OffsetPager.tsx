import { Button, Group, Text } from '@mantine/core';
import { OFFSET_MAX, PAGE_SIZE } from '../../api/cases.ts';
import { useI18n } from '../../i18n/index.tsx';

/** Paging by offset, with where the page sits in the total the server counted. */
export function OffsetPager({
  page,
  shown,
  total,
  loading,
  onPage,
}: {
  /** 1-based. */
  page: number;
  /** Rows on this page. */
  shown: number;
  total: number;
  loading?: boolean;
  onPage(page: number): void;
}) {
  const i18n = useI18n();
  const from = shown === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const to = (page - 1) * PAGE_SIZE + shown;
  const more = to < total && page * PAGE_SIZE <= OFFSET_MAX;
  return (
    <Group justify="space-between" mt="sm">
      <Text size="sm" c="dimmed" data-testid="pager-range">
        {i18n.t('cases.range', { from: i18n.number(from), to: i18n.number(to), total: i18n.number(total) })}
      </Text>
      <Group gap="xs">
        <Button variant="default" size="xs" disabled={page <= 1 || loading} onClick={() => onPage(page - 1)}>
          {i18n.t('pager.previous')}
        </Button>
        <Button variant="default" size="xs" disabled={!more || loading} onClick={() => onPage(page + 1)}>
          {i18n.t('pager.next')}
        </Button>
      </Group>
    </Group>
  );
}
