import { Card, Group, SegmentedControl, Select, Stack, Switch, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { AssigneeFilter as Assignee } from '../api/cases.ts';
import { useI18n } from '../i18n/index.tsx';

/**
 * A queue's filters kept in the address, so a reload or "back" shows the same queue.
 * `read` ignores values it does not know; `write` leaves defaults out; `reset` is merged
 * under every change (an offset queue goes back to its first page when a filter moves).
 */
export function useUrlFilters<F>(
  read: (params: URLSearchParams) => F,
  write: (filters: F) => Record<string, string>,
  reset?: Partial<F>,
): [F, (patch: Partial<F>) => void] {
  const [params, setParams] = useSearchParams();
  const filters = read(params);
  const setFilters = (patch: Partial<F>) =>
    setParams(write({ ...filters, ...reset, ...patch }), { replace: true });
  return [filters, setFilters];
}

/** The card holding a queue's filter fields in one row. */
export function QueueFilters({ children }: { children: ReactNode }) {
  return (
    <Card withBorder>
      <Group align="flex-end" gap="md">
        {children}
      </Group>
    </Card>
  );
}

/**
 * One choice among `options`. Optional choices can be cleared ("any"); a `required` one
 * always holds a value. Only a listed value reaches `onChange`, so nothing is cast.
 */
export function SelectFilter<V extends string>({
  label,
  options,
  value,
  onChange,
  required,
  w,
  testId,
}: {
  label: string;
  options: Array<{ value: V; label: string }>;
  value: V | null;
  onChange(value: V | null): void;
  required?: boolean;
  w: number;
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <Select
      label={label}
      placeholder={required ? undefined : t('cases.any')}
      data={options}
      value={value}
      onChange={(v) => onChange(options.find((o) => o.value === v)?.value ?? null)}
      clearable={!required}
      allowDeselect={!required}
      w={w}
      data-testid={testId}
    />
  );
}

/** Whose work to show: anyone's, mine, or nobody's yet. */
export function AssigneeFilter({ value, onChange }: { value: Assignee; onChange(value: Assignee): void }) {
  const { t } = useI18n();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t('alerts.filter.assignee')}
      </Text>
      <SegmentedControl
        aria-label={t('alerts.filter.assignee')}
        data-testid="filter-assignee"
        value={value}
        onChange={(v) => onChange(v === 'me' || v === 'none' ? v : 'anyone')}
        data={[
          { value: 'anyone', label: t('assignee.anyone') },
          { value: 'me', label: t('assignee.me') },
          { value: 'none', label: t('assignee.none') },
        ]}
      />
    </Stack>
  );
}

/** Only the items past their deadline; the label says which deadline when it is not the case's. */
export function OverdueSwitch({
  label,
  checked,
  onChange,
}: {
  label?: string;
  checked: boolean;
  onChange(checked: boolean): void;
}) {
  const { t } = useI18n();
  return (
    <Switch
      label={label ?? t('cases.overdueOnly')}
      checked={checked}
      onChange={(e) => onChange(e.currentTarget.checked)}
      mb={8}
      data-testid="filter-overdue"
    />
  );
}
