import { Alert, Anchor, Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { CASE_KEYS } from '../../api/cases.ts';
import { ApiError } from '../../api/errors.ts';
import { useI18n } from '../../i18n/index.tsx';

/**
 * What every action of the case workspace shares: the notice it leaves, how it reports a
 * failure (a stale version reloads the case and says so), and the dialog it asks in.
 */

export interface CaseNotice {
  color: 'green' | 'blue';
  text: string;
  /** An approval request the action filed: the notice links to the inbox. */
  approvalId?: string;
}

/** Runs an action on the case; resolves to the message to show where the user acted, or null when it worked. */
export type CaseRun = <T>(
  action: () => Promise<T>,
  notice: (result: T) => CaseNotice | null,
) => Promise<string | null>;

export function useCaseRun(caseId: string, onNotice: (n: CaseNotice | null) => void): CaseRun {
  const queryClient = useQueryClient();
  const i18n = useI18n();
  return useCallback(
    async (action, notice) => {
      try {
        const result = await action();
        onNotice(notice(result));
        // Holds, balances, approvals and the reserve may all have moved: every cached read is stale.
        await queryClient.invalidateQueries();
        return null;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'CASE_CONFLICT') {
          await queryClient.invalidateQueries({ queryKey: CASE_KEYS.one(caseId) });
          return `${i18n.errorText(err)} ${i18n.t('case.conflictReloaded')}`;
        }
        return i18n.errorText(err);
      }
    },
    [caseId, onNotice, queryClient, i18n],
  );
}

export function NoticeBanner({ notice, onClose }: { notice: CaseNotice; onClose(): void }) {
  const { t } = useI18n();
  return (
    <Alert
      color={notice.color}
      variant="light"
      role="status"
      withCloseButton
      onClose={onClose}
      data-testid="case-notice"
    >
      <Stack gap={4}>
        <Text size="sm">{notice.text}</Text>
        {notice.approvalId && (
          <>
            <Text size="sm">
              {t('case.approvalFiled')} <Code data-testid="approval-id">{notice.approvalId}</Code>
            </Text>
            <Anchor component={Link} to="/approvals" size="sm" data-testid="approvals-link">
              {t('case.openApprovals')}
            </Anchor>
          </>
        )}
      </Stack>
    </Alert>
  );
}

/**
 * A dialog with a form: the fields, the failure of the last try, cancel and confirm.
 * `onSubmit` answers null when it is done (the dialog closes), the failure to show, or
 * undefined when the fields themselves say what is wrong.
 */
export function CaseDialog({
  opened,
  onClose,
  title,
  description,
  confirmLabel,
  color,
  onSubmit,
  children,
}: {
  opened: boolean;
  onClose(): void;
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  color?: string;
  onSubmit(): Promise<string | null | undefined>;
  children?: ReactNode;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (opened) setError(null);
  }, [opened]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const message = await onSubmit();
      if (message === null) onClose();
      else setError(message ?? null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {description && <Text size="sm">{description}</Text>}
          {children}
          {error && (
            <Alert color="red" variant="light" role="alert" data-testid="dialog-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={busy}>
              {t('action.cancel')}
            </Button>
            <Button type="submit" color={color} loading={busy}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** A fresh key per opened dialog and case version: a retry replays, a changed case is a new request. */
export function useIdempotencyKey(opened: boolean, version: number): string {
  return useMemo(() => (opened ? `console-${crypto.randomUUID()}-v${version}` : ''), [opened, version]);
}
