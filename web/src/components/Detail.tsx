import { Alert, Card, Table, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.tsx';

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
