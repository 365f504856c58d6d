import { Alert, Anchor, Card, Grid, Stack, Table, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useI18n } from '../i18n/index.tsx';
import { PageHeader } from './Common.tsx';
import { QueryView } from './States.tsx';

/** A titled card of a detail page. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/** Said when the server answered only part of a detail page (another module adds the rest). */
export function PartialNotice({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Alert color="gray" variant="light" title={t('state.notAvailableTitle')} data-testid="not-available">
      {children}
    </Alert>
  );
}

/** A table of labelled values, one row each. */
export function KeyValues({ children }: { children: ReactNode }) {
  return (
    <Table variant="vertical" layout="fixed">
      <Table.Tbody>{children}</Table.Tbody>
    </Table>
  );
}

/** One labelled value of a KeyValues table; `w` sets the label column's width. */
export function Field({ label, w, children }: { label: string; w?: number; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={w}>{label}</Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}

/**
 * A detail page for the record the route's `:id` names, read again every `refetchMs`
 * because someone else may change it meanwhile. Another id is another page: no dialog,
 * notice or draft carries over.
 */
export function RoutedDetail<T>({
  queryKey,
  fetch,
  refetchMs,
  children,
}: {
  queryKey: (id: string) => readonly unknown[];
  fetch: (id: string) => Promise<T>;
  refetchMs: number;
  children: (record: T) => ReactNode;
}) {
  const { id = '' } = useParams();
  return (
    <DetailQuery key={id} id={id} queryKey={queryKey} fetch={fetch} refetchMs={refetchMs} render={children} />
  );
}

function DetailQuery<T>({
  id,
  queryKey,
  fetch,
  refetchMs,
  render,
}: {
  id: string;
  queryKey: (id: string) => readonly unknown[];
  fetch: (id: string) => Promise<T>;
  refetchMs: number;
  render: (record: T) => ReactNode;
}) {
  const q = useQuery({ queryKey: queryKey(id), queryFn: () => fetch(id), refetchInterval: refetchMs });
  return <QueryView query={q}>{render}</QueryView>;
}

/**
 * The layout of a record's page: its heading with the way back to the queue, a closable
 * notice of what was just done, then the main sections beside the facts.
 * `testIdPrefix` names the page (`<prefix>-page`, carrying the record's status) and the notice (`<prefix>-notice`).
 */
export function DetailLayout({
  title,
  description,
  back,
  testIdPrefix,
  status,
  notice,
  onNoticeClose,
  main,
  side,
}: {
  title: string;
  description: string;
  back: { to: string; label: string };
  testIdPrefix: string;
  status: string;
  notice: string | null;
  onNoticeClose(): void;
  main: ReactNode;
  side: ReactNode;
}) {
  return (
    <>
      <PageHeader
        title={title}
        description={description}
        right={
          <Anchor component={Link} to={back.to} size="sm">
            {back.label}
          </Anchor>
        }
      />
      <Stack data-testid={`${testIdPrefix}-page`} data-status={status}>
        {notice && (
          <Alert
            color="green"
            variant="light"
            role="status"
            withCloseButton
            onClose={onNoticeClose}
            data-testid={`${testIdPrefix}-notice`}
          >
            {notice}
          </Alert>
        )}
        <Grid gap="md">
          <Grid.Col span={{ base: 12, lg: 7 }}>
            <Stack>{main}</Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 5 }}>
            <Stack>{side}</Stack>
          </Grid.Col>
        </Grid>
      </Stack>
    </>
  );
}
