import { Alert, Button, Group, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';

export interface ReasonDialogProps {
  opened: boolean;
  onClose(): void;
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  color?: string;
  /** Fewest characters the reason needs (the server's rule for this action). */
  minLength?: number;
  reasonRequired?: boolean;
  /** An optional amount field (partial release), in major units as typed. */
  amountLabel?: string;
  amountHint?: string;
  validateAmount?: (typed: string) => string | null;
  onSubmit(input: { reason: string; amount: string }): Promise<void>;
  /** Shown under the form when the last submit failed. */
  error?: string | null;
  children?: ReactNode;
}

/** Every decision on a hold, an approval or a reveal states why: this dialog asks for it. */
export function ReasonDialog(props: ReasonDialogProps) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const hintId = useId();
  const { opened } = props;
  useEffect(() => {
    if (opened) {
      setReason('');
      setAmount('');
      setTouched(false);
    }
  }, [opened]);
  const min = props.minLength ?? 1;
  const required = props.reasonRequired ?? true;
  const trimmed = reason.trim();
  const reasonError =
    touched && required && trimmed.length < min
      ? min > 1
        ? t('reason.tooShort', { min })
        : t('reason.required')
      : null;
  const amountError =
    touched && amount.trim() !== '' && props.validateAmount ? props.validateAmount(amount) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if ((required && trimmed.length < min) || (amount.trim() !== '' && props.validateAmount?.(amount)))
      return;
    setBusy(true);
    try {
      await props.onSubmit({ reason: trimmed, amount: amount.trim() });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={props.onClose} title={props.title} centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          {props.description && <Text size="sm">{props.description}</Text>}
          {props.children}
          <Textarea
            label={t('reason.label')}
            description={min > 1 ? t('reason.hint', { min }) : undefined}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            required={required}
            error={reasonError}
            autosize
            minRows={2}
            maxLength={500}
            data-autofocus
            aria-describedby={hintId}
          />
          {props.amountLabel && (
            <TextInput
              label={props.amountLabel}
              description={props.amountHint}
              value={amount}
              onChange={(e) => setAmount(e.currentTarget.value)}
              inputMode="decimal"
              error={amountError}
            />
          )}
          {props.error && (
            <Alert color="red" variant="light" role="alert" id={hintId}>
              {props.error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose} disabled={busy}>
              {t('action.cancel')}
            </Button>
            <Button type="submit" color={props.color} loading={busy}>
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
