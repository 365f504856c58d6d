import { Badge, Checkbox, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { type FeatureValue, featuresNamed } from '../../api/decisions.ts';
import { useI18n } from '../../i18n/index.tsx';

function valueText(v: FeatureValue): string {
  return v === null ? 'null' : String(v);
}

/** Sums and amounts are minor units of the event's currency (the engine's own naming, as in its explanation). */
const AMOUNT_LIKE = /(sum|Amount)(_|$)/;

/**
 * The feature values a decision was made with, searchable; the ones its explanation names
 * (the values the hit rules read) are marked and can be shown alone.
 */
export function FeaturesTable({
  features,
  explanation,
  missing,
  currency,
}: {
  features: Array<{ name: string; value: FeatureValue }>;
  explanation: readonly string[];
  missing: readonly string[];
  currency: string | null;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const moneyOf = (name: string, v: FeatureValue): string | null => {
    const raw = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
    return currency && AMOUNT_LIKE.test(name) && typeof raw === 'string' && /^-?[0-9]{1,30}$/.test(raw)
      ? i18n.money(raw, currency)
      : null;
  };
  const [query, setQuery] = useState('');
  const [onlyNamed, setOnlyNamed] = useState(false);
  const named = useMemo(
    () =>
      featuresNamed(
        explanation,
        features.map((f) => f.name),
      ),
    [features, explanation],
  );
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = features.filter(
    (f) =>
      (!onlyNamed || named.has(f.name)) &&
      words.every((w) => `${f.name} ${valueText(f.value)}`.toLowerCase().includes(w)),
  );
  // The named features first: they are what the analyst came for.
  shown.sort((a, b) => Number(named.has(b.name)) - Number(named.has(a.name)));
  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-end">
        <TextInput
          label={t('decision.featuresSearch')}
          placeholder={t('decision.featuresSearchHint')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          w={300}
        />
        <Checkbox
          label={t('decision.featuresOnlyNamed')}
          checked={onlyNamed}
          onChange={(e) => setOnlyNamed(e.currentTarget.checked)}
          disabled={named.size === 0}
        />
      </Group>
      <Text size="xs" c="dimmed">
        {t('decision.featuresCount', { shown: shown.length, total: features.length })}
      </Text>
      {shown.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t('decision.featuresNone')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={480} maxHeight={420}>
          <Table data-testid="decision-features" highlightOnHover stickyHeader>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('decision.col.feature')}</Table.Th>
                <Table.Th>{t('decision.col.value')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((f) => {
                const isNamed = named.has(f.name);
                return (
                  <Table.Tr
                    key={f.name}
                    data-testid={`feature-${f.name}`}
                    data-named={isNamed ? 'true' : 'false'}
                    bg={isNamed ? 'var(--mantine-color-yellow-light)' : undefined}
                  >
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <Text size="sm" ff="monospace" fw={isNamed ? 700 : 400}>
                          {f.name}
                        </Text>
                        {isNamed && (
                          <Badge size="xs" color="yellow" variant="filled">
                            {t('decision.featuresNamed')}
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {valueText(f.value)}
                      </Text>
                      {moneyOf(f.name, f.value) && (
                        <Text size="xs" c="dimmed">
                          {moneyOf(f.name, f.value)}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {missing.length > 0 && (
        <Text size="sm" c="dimmed">
          {t('decision.missing')}: {missing.join(', ')}
        </Text>
      )}
    </Stack>
  );
}
