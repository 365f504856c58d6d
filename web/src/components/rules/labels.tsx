import { Badge, Group } from '@mantine/core';
import { isRuleState, type RuleState, type RuleVersion } from '../../api/rules.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';

export const STATE_KEYS: Record<RuleState, MessageKey> = {
  draft: 'ruleState.draft',
  shadow: 'ruleState.shadow',
  active: 'ruleState.active',
  retired: 'ruleState.retired',
};
const STATE_COLORS: Record<RuleState, string> = {
  draft: 'gray',
  shadow: 'violet',
  active: 'green',
  retired: 'dark',
};

export function useRuleStateLabel(): (state: string) => string {
  const { t } = useI18n();
  return (state) => (isRuleState(state) ? t(STATE_KEYS[state]) : state);
}

export function RuleStateBadge({ state, size }: { state: string; size?: 'xs' | 'sm' | 'md' }) {
  const label = useRuleStateLabel();
  return (
    <Badge
      color={isRuleState(state) ? STATE_COLORS[state] : 'gray'}
      variant={state === 'retired' ? 'outline' : 'light'}
      size={size ?? 'sm'}
      data-state={state}
    >
      {label(state)}
    </Badge>
  );
}

/** Each version of a rule as "v2 Draft", newest first; retired ones only when asked for. */
export function VersionBadges({ versions, withRetired }: { versions: RuleVersion[]; withRetired?: boolean }) {
  const label = useRuleStateLabel();
  const shown = withRetired ? versions : versions.filter((v) => v.state !== 'retired');
  const retired = versions.length - shown.length;
  const { t } = useI18n();
  return (
    <Group gap={4}>
      {shown.map((v) => (
        <Badge
          key={v.version}
          color={isRuleState(v.state) ? STATE_COLORS[v.state] : 'gray'}
          variant="light"
          size="sm"
          data-testid={`version-badge-${v.version}`}
          data-state={v.state}
        >
          {`v${v.version} · ${label(v.state)}`}
        </Badge>
      ))}
      {retired > 0 && (
        <Badge color="dark" variant="outline" size="sm">
          {t('rules.retiredCount', { count: retired })}
        </Badge>
      )}
    </Group>
  );
}
