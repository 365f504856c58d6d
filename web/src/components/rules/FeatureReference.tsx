import {
  Badge,
  Card,
  Code,
  Group,
  ScrollArea,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useState } from 'react';
import type { RuleEnvironment } from '../../api/rules.ts';
import { useI18n } from '../../i18n/index.tsx';

interface Entry {
  path: string;
  type: string;
  description: string;
  values: string[];
  optional: boolean;
}

/**
 * What a rule can read, searchable: the feature registry and the event's fields with
 * their types and meaning. Choosing one puts its path in the expression at the cursor.
 */
export function FeatureReference({
  env,
  onInsert,
  height = 560,
}: {
  env: RuleEnvironment;
  onInsert?: (path: string) => void;
  height?: number;
}) {
  const { t } = useI18n();
  const [query, setQuery] = useState('');
  const [group, setGroup] = useState<'features' | 'event'>('features');
  const entries: Entry[] =
    group === 'features'
      ? env.features.map((f) => ({
          path: f.path ?? `features.${f.name}`,
          type: f.type,
          description: f.description,
          values: f.values,
          optional: false,
        }))
      : [
          ...env.variables
            .filter((v) => v.name !== 'event' && v.name !== 'features')
            .map((v) => ({
              path: v.name,
              type: v.type,
              description: v.description,
              values: [],
              optional: false,
            })),
          ...env.eventFields.map((f) => ({
            path: `event.${f.name}`,
            type: f.type,
            description: f.description,
            values: f.values,
            optional: f.optional,
          })),
        ];
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = entries.filter((e) => {
    const hay = `${e.path} ${e.type} ${e.description} ${e.values.join(' ')}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });

  return (
    <Card withBorder data-testid="feature-reference">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Text fw={600}>{t('ruleRef.title')}</Text>
          <Text size="xs" c="dimmed">
            {t('ruleRef.count', { count: env.features.length })}
          </Text>
        </Group>
        <SegmentedControl
          size="xs"
          fullWidth
          value={group}
          onChange={(v) => setGroup(v === 'event' ? 'event' : 'features')}
          data={[
            { value: 'features', label: t('ruleRef.features') },
            { value: 'event', label: t('ruleRef.event') },
          ]}
        />
        <TextInput
          size="xs"
          label={t('ruleRef.search')}
          placeholder={t('ruleRef.searchHint')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          type="search"
        />
        {onInsert && (
          <Text size="xs" c="dimmed">
            {t('ruleRef.insertHint')}
          </Text>
        )}
        <ScrollArea h={height} type="auto" offsetScrollbars>
          {shown.length === 0 ? (
            <Text size="sm" c="dimmed" py="sm">
              {t('ruleRef.none')}
            </Text>
          ) : (
            <Stack gap={2} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {shown.map((e) => {
                const body = (
                  <Stack gap={2}>
                    <Group gap={6} wrap="nowrap" justify="space-between">
                      <Code style={{ overflowWrap: 'anywhere' }}>
                        <BreakAtDots path={e.path} />
                      </Code>
                      <Badge size="xs" variant="outline" style={{ flexShrink: 0 }}>
                        {e.type}
                        {e.optional ? ` · ${t('ruleRef.optional')}` : ''}
                      </Badge>
                    </Group>
                    <Text size="xs" c="dimmed">
                      {e.description}
                    </Text>
                    {e.values.length > 0 && (
                      <Text size="xs" c="dimmed">
                        {t('ruleRef.values', { values: e.values.join(', ') })}
                      </Text>
                    )}
                  </Stack>
                );
                return (
                  <li key={e.path} data-feature={e.path}>
                    {onInsert ? (
                      <UnstyledButton
                        w="100%"
                        p={6}
                        style={{ borderRadius: 'var(--mantine-radius-sm)' }}
                        title={t('ruleRef.insert', { path: e.path })}
                        onClick={() => onInsert(e.path)}
                      >
                        {body}
                      </UnstyledButton>
                    ) : (
                      <div style={{ padding: 6 }}>{body}</div>
                    )}
                  </li>
                );
              })}
            </Stack>
          )}
        </ScrollArea>
      </Stack>
    </Card>
  );
}

/** A dotted path that may wrap after its dots rather than inside a name. */
function BreakAtDots({ path }: { path: string }) {
  const parts = path.split('.');
  return (
    <>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one path are identified by their place
        <span key={i}>
          {i > 0 && '.'}
          {i > 0 && <wbr />}
          {part}
        </span>
      ))}
    </>
  );
}
