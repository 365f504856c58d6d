import { Card, Checkbox, Table } from '@mantine/core';
import { keepPreviousData, type UseQueryResult, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { OffsetPager } from './cases/OffsetPager.tsx';
import { Empty, ErrorState, Loading } from './States.tsx';

/** Table cells that keep short values (badges, amounts, times) on one line. */
export const NOWRAP = { whiteSpace: 'nowrap' } as const;

export interface QueueTableProps<D, T> {
  list: UseQueryResult<D>;
  /** The rows of one answer. */
  items: (data: D) => readonly T[];
  testId: string;
  minWidth: number;
  head: ReactNode;
  row: (item: T, index: number) => ReactNode;
  empty?: ReactNode;
  errorExtra?: (error: Error) => ReactNode;
  verticalSpacing?: 'sm';
}

/**
 * One page of a queue paged by offset: the previous page stays on screen while the next
 * loads, and the queue follows new records every `refetchMs`.
 */
export function useQueuePage<D>(
  queryKey: readonly unknown[],
  fetch: () => Promise<D>,
  refetchMs: number,
): UseQueryResult<D> {
  return useQuery({
    queryKey,
    queryFn: fetch,
    placeholderData: keepPreviousData,
    refetchInterval: refetchMs,
  });
}

/** The loading, error, empty and table states of one page of a list. */
export function QueueTable<D, T>({
  list,
  items,
  testId,
  minWidth,
  head,
  row,
  empty,
  errorExtra,
  verticalSpacing,
}: QueueTableProps<D, T>) {
  if (list.isPending) return <Loading />;
  if (list.isError) {
    return (
      <>
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        {errorExtra?.(list.error)}
      </>
    );
  }
  const rows = items(list.data);
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <Card withBorder padding={0}>
      <Table.ScrollContainer minWidth={minWidth}>
        <Table highlightOnHover verticalSpacing={verticalSpacing} data-testid={testId}>
          <Table.Thead>
            <Table.Tr>{head}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>{rows.map((item, i) => row(item, i))}</Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

/** A list paged by offset: its table, then where the page sits in the server's total. */
export function OffsetQueueTable<D extends { total: number }, T>({
  page,
  onPage,
  ...table
}: QueueTableProps<D, T> & { page: number; onPage(page: number): void }) {
  const { list, items } = table;
  return (
    <>
      <QueueTable {...table} verticalSpacing="sm" />
      {list.data && list.data.total > 0 && (
        <OffsetPager
          page={page}
          shown={items(list.data).length}
          total={list.data.total}
          loading={list.isFetching}
          onPage={onPage}
        />
      )}
    </>
  );
}

/** Rows chosen for a bulk action, by id. */
export function useSelection() {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  return {
    selected,
    has: (id: string) => selected.has(id),
    toggle: (id: string, on: boolean) =>
      setSelected((s) => {
        const next = new Set(s);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    set: (ids: Iterable<string>) => setSelected(new Set(ids)),
    clear: () => setSelected(new Set()),
  };
}

/** The header box that chooses every row on the page, or none; half-checked when some are. */
export function SelectPageBox({
  ids,
  selection,
  label,
}: {
  ids: readonly string[];
  selection: ReturnType<typeof useSelection>;
  label: string;
}) {
  const all = ids.length > 0 && ids.every(selection.has);
  const some = ids.some(selection.has);
  return (
    <Checkbox
      aria-label={label}
      checked={all}
      indeterminate={some && !all}
      onChange={(e) => (e.currentTarget.checked ? selection.set(ids) : selection.clear())}
    />
  );
}
