import { Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';

/**
 * Paging with the server's cursor: the cursors of the pages seen so far are kept so
 * "previous" goes back without the server offering backward cursors.
 */
export function useCursor() {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: useCallback((nextCursor: string) => setStack((s) => [...s, nextCursor]), []),
    prev: useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []),
    reset: useCallback(() => setStack([undefined]), []),
  };
}

export function Pager({
  pager,
  nextCursor,
  loading,
}: {
  pager: ReturnType<typeof useCursor>;
  nextCursor: string | null | undefined;
  loading?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Group justify="space-between" mt="sm">
      <Text size="sm" c="dimmed">
        {t('pager.page', { page: pager.page })}
      </Text>
      <Group gap="xs">
        <Button variant="default" size="xs" disabled={pager.page <= 1 || loading} onClick={pager.prev}>
          {t('pager.previous')}
        </Button>
        <Button
          variant="default"
          size="xs"
          disabled={!nextCursor || loading}
          onClick={() => {
            if (nextCursor) pager.next(nextCursor);
          }}
        >
          {t('pager.next')}
        </Button>
      </Group>
    </Group>
  );
}
