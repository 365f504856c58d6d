import { Badge, Button, Code, Group, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useNavigate } from 'react-router';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

export function PageHeader({
  title,
  description,
  right,
}: {
  title: string;
  description?: string;
  right?: ReactNode;
}) {
  return (
    <Group justify="space-between" align="flex-start" mb="md">
      <Stack gap={2}>
        <Title order={2}>{title}</Title>
        {description && (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        )}
      </Stack>
      {right}
    </Group>
  );
}

/** Jumps to a record by its id (works whether or not the list endpoint exists). */
export function OpenById({
  label,
  prefix,
  to,
}: {
  label: string;
  prefix: string;
  to: (id: string) => string;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = value.trim();
    if (!new RegExp(`^${prefix}_[0-9a-z]{10,40}$`).test(id)) {
      setError(t('openById.invalid', { prefix: `${prefix}_…` }));
      return;
    }
    setError(null);
    navigate(to(id));
  };
  return (
    <form onSubmit={submit} noValidate>
      <Group align="flex-end" gap="xs">
        <TextInput
          label={label}
          placeholder={`${prefix}_…`}
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
          error={error}
          w={340}
        />
        <Button type="submit" variant="default">
          {t('action.open')}
        </Button>
      </Group>
    </form>
  );
}

const OUTCOME_COLORS: Record<string, string> = {
  ALLOW: 'green',
  CHALLENGE: 'blue',
  REVIEW: 'yellow',
  BLOCK: 'red',
  BLOCK_AND_FREEZE: 'red',
};
const OUTCOME_KEYS: Record<string, MessageKey> = {
  ALLOW: 'outcome.ALLOW',
  CHALLENGE: 'outcome.CHALLENGE',
  REVIEW: 'outcome.REVIEW',
  BLOCK: 'outcome.BLOCK',
  BLOCK_AND_FREEZE: 'outcome.BLOCK_AND_FREEZE',
};

export function useOutcomeLabel(): (outcome: string) => string {
  const { t } = useI18n();
  return (outcome) => {
    const key = OUTCOME_KEYS[outcome];
    return key ? t(key) : outcome;
  };
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  const label = useOutcomeLabel();
  return (
    <Badge color={OUTCOME_COLORS[outcome] ?? 'gray'} variant="light">
      {label(outcome)}
    </Badge>
  );
}

const STATUS_COLORS: Record<string, string> = {
  active: 'green',
  pending: 'yellow',
  posted: 'green',
  voided: 'gray',
  expired: 'gray',
  frozen: 'red',
  closed: 'gray',
  approved: 'green',
  rejected: 'red',
  failed: 'red',
  cancelled: 'gray',
  disabled: 'gray',
  succeeded: 'green',
  processing: 'blue',
  in_review: 'yellow',
};
const STATUS_KEYS: Record<string, MessageKey> = {
  active: 'status.active',
  pending: 'status.pending',
  posted: 'status.posted',
  voided: 'status.voided',
  expired: 'status.expired',
  frozen: 'status.frozen',
  closed: 'status.closed',
  approved: 'status.approved',
  rejected: 'status.rejected',
  failed: 'status.failed',
  cancelled: 'status.cancelled',
  disabled: 'status.disabled',
  succeeded: 'status.succeeded',
  processing: 'status.processing',
  in_review: 'status.in_review',
};

export function useStatusLabel(): (status: string) => string {
  const { t } = useI18n();
  return (status) => {
    const key = STATUS_KEYS[status];
    return key ? t(key) : status;
  };
}

export function StatusBadge({ status }: { status: string }) {
  const label = useStatusLabel();
  if (!status) return null;
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light">
      {label(status)}
    </Badge>
  );
}

const KIND_KEYS: Record<string, MessageKey> = {
  transfer: 'kind.transfer',
  payment: 'kind.payment',
  refund: 'kind.refund',
  topup: 'kind.topup',
  withdrawal: 'kind.withdrawal',
  adjustment: 'kind.adjustment',
  reversal: 'kind.reversal',
  fee: 'kind.fee',
  hold_release: 'kind.hold_release',
};

export function useKindLabel(): (kind: string) => string {
  const { t } = useI18n();
  return (kind) => {
    const key = KIND_KEYS[kind];
    return key ? t(key) : kind || '—';
  };
}

/** A long identifier, shortened on screen with the whole value in a tooltip. */
export function Id({ value }: { value: string | null | undefined }) {
  if (!value) return <Text span>—</Text>;
  const short = value.length > 18 ? `${value.slice(0, 9)}…${value.slice(-6)}` : value;
  return (
    <Tooltip label={value}>
      <Code data-id={value}>{short}</Code>
    </Tooltip>
  );
}
