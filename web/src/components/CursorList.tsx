import { Button, Group } from '@mantine/core';
import { keepPreviousData, type UseQueryResult, useQuery } from '@tanstack/react-query';
import type { FormEvent, ReactNode } from 'react';
import type { Page } from '../api/decode.ts';
import { useI18n } from '../i18n/index.tsx';
import { Pager, useCursor } from './Pager.tsx';
import { QueueTable, type QueueTableProps } from './QueueTable.tsx';

type Cursor = ReturnType<typeof useCursor>;

/**
 * One list page read with the server's cursor: the query key is `key` plus the cursor,
 * the previous page stays on screen while the next loads, and `refetchInterval` (given
 * the page number and the page shown) decides whether the list follows new records.
 */
export function useCursorList<T>(
  key: readonly unknown[],
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  refetchInterval?: (page: number, shown: Page<T> | undefined) => number | false,
): { pager: Cursor; list: UseQueryResult<Page<T>> } {
  const pager = useCursor();
  const list = useQuery({
    queryKey: [...key, pager.cursor],
    queryFn: () => fetch(pager.cursor),
    placeholderData: keepPreviousData,
    refetchInterval: refetchInterval ? (q) => refetchInterval(pager.page, q.state.data) : undefined,
  });
  return { pager, list };
}

/** A filter form: the fields, then the submit button and whatever follows it. */
export function FilterForm({
  onSubmit,
  submitLabel,
  children,
  after,
}: {
  onSubmit: () => void;
  submitLabel?: string;
  children: ReactNode;
  after?: ReactNode;
}) {
  const { t } = useI18n();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form onSubmit={submit}>
      <Group align="flex-end">
        {children}
        <Button type="submit">{submitLabel ?? t('action.apply')}</Button>
        {after}
      </Group>
    </form>
  );
}

/** The loading, error, empty and table states of a cursor list, with its pager below. */
export function CursorTable<T>({
  pager,
  ...table
}: Omit<QueueTableProps<Page<T>, T>, 'items' | 'verticalSpacing'> & { pager: Cursor }) {
  const { list } = table;
  return (
    <>
      <QueueTable {...table} items={(page) => page.items} />
      {list.data && <Pager pager={pager} nextCursor={list.data.nextCursor} loading={list.isFetching} />}
    </>
  );
}
