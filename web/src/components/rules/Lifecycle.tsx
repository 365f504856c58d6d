import { Alert, Anchor, Button, Code, Group, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import type { Permission } from '../../../../src/access/permissions.ts';
import type { Approval } from '../../api/resources.ts';
import { lifecycleAnswer, newIdempotencyKey, type RuleVersion } from '../../api/rules.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { ReasonDialog } from '../ReasonDialog.tsx';

/**
 * Moving a version through its states: to shadow (the analyst's own move), activation
 * (always maker-checker: it files an approval request), and retirement (direct for a
 * draft or shadow version, an approval request for the acting one). Each button shows
 * only to roles holding its permission; the server decides again.
 */
export type LifeAction = 'shadow' | 'activate' | 'retire';

const PERMISSION: Record<LifeAction, Permission> = {
  shadow: 'rule.write',
  activate: 'rule.publish',
  retire: 'rule.write',
};

export function actionsFor(v: RuleVersion, can: (p: Permission) => boolean): LifeAction[] {
  const possible: LifeAction[] =
    v.state === 'draft'
      ? ['shadow', 'activate', 'retire']
      : v.state === 'shadow'
        ? ['activate', 'retire']
        : v.state === 'active'
          ? ['retire']
          : [];
  return possible.filter((a) => can(PERMISSION[a]));
}

export type LifecycleResult =
  | { kind: 'moved'; action: 'shadow' | 'retire'; version: number }
  | { kind: 'approval'; action: 'activate' | 'retire'; version: number; approval: Approval };

export function LifecycleButtons({
  version,
  actions,
  onAct,
  pending,
}: {
  version: RuleVersion;
  actions: LifeAction[];
  onAct(action: LifeAction): void;
  /** An approval request for this version is waiting: asking again is pointless. */
  pending: boolean;
}) {
  const { t } = useI18n();
  return (
    <Group gap={6} wrap="nowrap">
      {actions.includes('shadow') && (
        <Button size="compact-xs" variant="light" color="violet" onClick={() => onAct('shadow')}>
          {t('ruleLife.shadow')}
        </Button>
      )}
      {actions.includes('activate') && !pending && (
        <Button
          size="compact-xs"
          variant="light"
          color="green"
          onClick={() => onAct('activate')}
          data-testid={`activate-${version.version}`}
        >
          {t('ruleLife.activate')}
        </Button>
      )}
      {actions.includes('retire') && !(pending && version.state === 'active') && (
        <Button size="compact-xs" variant="subtle" color="red" onClick={() => onAct('retire')}>
          {t('ruleLife.retire')}
        </Button>
      )}
    </Group>
  );
}

export function LifecycleDialog({
  ruleId,
  acting,
  onClose,
  onDone,
}: {
  ruleId: string;
  acting: { version: RuleVersion; action: LifeAction } | null;
  onClose(): void;
  onDone(result: LifecycleResult): Promise<void> | void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  // One key per opened dialog: a retry after a lost answer replays instead of asking twice.
  const idempotencyKey = useMemo(() => (acting ? newIdempotencyKey() : ''), [acting]);
  const v = acting?.version;
  const action = acting?.action;

  const submit = async ({ reason }: { reason: string }) => {
    if (!v || !action) return;
    setError(null);
    try {
      const path = `/v1/risk/rules/${encodeURIComponent(ruleId)}/versions/${v.version}/${action}`;
      const answer = await api.post(
        path,
        lifecycleAnswer,
        { reason },
        action === 'shadow' ? {} : { idempotencyKey },
      );
      const result: LifecycleResult =
        answer.kind === 'approval'
          ? {
              kind: 'approval',
              action: action === 'activate' ? 'activate' : 'retire',
              version: v.version,
              approval: answer.approval,
            }
          : { kind: 'moved', action: action === 'shadow' ? 'shadow' : 'retire', version: v.version };
      await onDone(result);
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };

  const title =
    action === 'shadow'
      ? t('ruleLife.shadowTitle', { version: v?.version ?? '' })
      : action === 'activate'
        ? t('ruleLife.activateTitle', { version: v?.version ?? '' })
        : t('ruleLife.retireTitle', { version: v?.version ?? '' });
  const description =
    action === 'shadow'
      ? t('ruleLife.shadowDescription')
      : action === 'activate'
        ? t('ruleLife.activateDescription')
        : v?.state === 'active'
          ? t('ruleLife.retireActiveDescription')
          : t('ruleLife.retireDescription');
  const confirm =
    action === 'shadow'
      ? t('ruleLife.shadow')
      : action === 'activate'
        ? t('ruleLife.activate')
        : t('ruleLife.retire');

  return (
    <ReasonDialog
      opened={acting !== null}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title={title}
      description={description}
      confirmLabel={confirm}
      color={action === 'retire' ? 'red' : action === 'shadow' ? 'violet' : 'green'}
      onSubmit={submit}
      error={error}
    />
  );
}

/** What the last move did: the new state, or the approval request it filed with a way to the inbox. */
export function LifecycleNotice({ result, onClose }: { result: LifecycleResult; onClose(): void }) {
  const { t } = useI18n();
  if (result.kind === 'moved') {
    return (
      <Alert
        color="green"
        variant="light"
        role="status"
        withCloseButton
        onClose={onClose}
        data-testid="rule-notice"
      >
        {result.action === 'shadow'
          ? t('ruleLife.shadowDone', { version: result.version })
          : t('ruleLife.retireDone', { version: result.version })}
      </Alert>
    );
  }
  return (
    <Alert
      color="blue"
      variant="light"
      role="status"
      withCloseButton
      onClose={onClose}
      title={
        result.action === 'activate'
          ? t('ruleLife.activateRequested', { version: result.version })
          : t('ruleLife.retireRequested', { version: result.version })
      }
      data-testid="rule-notice"
    >
      <Text size="sm">
        {t('ruleLife.requestFiled')} <Code data-testid="approval-id">{result.approval.id}</Code>
      </Text>
      <Text size="sm" c="dimmed">
        {result.approval.summary}
      </Text>
      <Anchor component={Link} to="/approvals" size="sm" data-testid="approvals-link">
        {t('ruleLife.openApprovals')}
      </Anchor>
    </Alert>
  );
}
