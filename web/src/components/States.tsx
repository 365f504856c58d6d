import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/errors.ts';
import { useI18n } from '../i18n/index.tsx';

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text c="dimmed">{label ?? t('state.loading')}</Text>
      </Group>
    </Center>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useI18n();
  return (
    <Center py="xl">
      <Text c="dimmed">{children ?? t('state.empty')}</Text>
    </Center>
  );
}

/** An endpoint this server does not offer yet (another module adds it). */
export function NotAvailable({ what }: { what?: string }) {
  const { t } = useI18n();
  return (
    <Alert color="gray" variant="light" title={t('state.notAvailableTitle')} data-testid="not-available">
      {what ?? t('state.notAvailable')}
    </Alert>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, errorText } = useI18n();
  if (error instanceof ApiError && error.code === 'NOT_AVAILABLE') return <NotAvailable />;
  return (
    <Alert color="red" variant="light" title={t('state.errorTitle')} role="alert">
      <Stack gap="xs">
        <Text size="sm">{errorText(error)}</Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="default" onClick={onRetry}>
              {t('action.retry')}
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

/** Loading, error (or not available) and data states of one query. */
export function QueryView<T>({
  query,
  children,
  isEmpty,
  empty,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}

export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'NOT_AVAILABLE';
}
