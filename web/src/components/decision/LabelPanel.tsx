import { Alert, Badge, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  DECISION_LABELS,
  type DecisionLabel,
  decisionKey,
  type LabelView,
  labelsStored,
  SCENARIO_RE,
} from '../../api/decisions.ts';
import { newIdempotencyKey } from '../../api/rules.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';

const LABEL_KEYS: Record<DecisionLabel, MessageKey> = {
  fraud: 'label.fraud',
  legit: 'label.legit',
  laundering: 'label.laundering',
};
const LABEL_COLORS: Record<DecisionLabel, string> = { fraud: 'red', legit: 'green', laundering: 'grape' };

function isLabel(v: string): v is DecisionLabel {
  return (DECISION_LABELS as readonly string[]).includes(v);
}

export function LabelBadge({ label }: { label: string }) {
  const { t } = useI18n();
  return (
    <Badge color={isLabel(label) ? LABEL_COLORS[label] : 'gray'} variant="light">
      {isLabel(label) ? t(LABEL_KEYS[label]) : label}
    </Badge>
  );
}

/**
 * What a decision turned out to be: the labels reported so far, and for roles that may
 * label, one click to report fraud, legitimate or laundering (with an optional scenario).
 * A refusal (403 and any other) is said in the user's language; the labels stay as they were.
 */
export function LabelPanel({ decisionId, labels }: { decisionId: string; labels: LabelView[] }) {
  const i18n = useI18n();
  const { t, errorText } = i18n;
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const [scenario, setScenario] = useState('');
  const [done, setDone] = useState<DecisionLabel | null>(null);
  const trimmed = scenario.trim();
  const scenarioError = trimmed !== '' && !SCENARIO_RE.test(trimmed) ? t('decision.scenarioInvalid') : null;

  const mutation = useMutation({
    mutationFn: (label: DecisionLabel) =>
      api.post(
        '/v1/risk/labels',
        labelsStored,
        { labels: [{ decisionId, label, ...(trimmed ? { scenario: trimmed } : {}) }] },
        { idempotencyKey: newIdempotencyKey() },
      ),
    onMutate: () => setDone(null),
    onSuccess: async (_stored, label) => {
      setDone(label);
      await queryClient.invalidateQueries({ queryKey: decisionKey(decisionId) });
    },
  });

  return (
    <Stack gap="sm">
      {labels.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t('decision.labelsNone')}
        </Text>
      ) : (
        <Table data-testid="decision-labels">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('decision.col.label')}</Table.Th>
              <Table.Th>{t('decision.col.scenario')}</Table.Th>
              <Table.Th>{t('decision.col.source')}</Table.Th>
              <Table.Th>{t('decision.col.reportedAt')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {labels.map((l) => (
              <Table.Tr key={`${l.source}-${l.reportedAt ?? ''}`}>
                <Table.Td>
                  <LabelBadge label={l.label} />
                </Table.Td>
                <Table.Td>{l.scenario ?? '—'}</Table.Td>
                <Table.Td>
                  <Id value={l.source} />
                </Table.Td>
                <Table.Td>{i18n.dateTime(l.reportedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {auth.can('risk.label') ? (
        <Stack gap="xs" data-testid="label-control">
          <Text size="sm" fw={600}>
            {t('decision.labelAs')}
          </Text>
          <Group align="flex-start">
            <TextInput
              label={t('decision.scenario')}
              placeholder={t('decision.scenarioHint')}
              value={scenario}
              onChange={(e) => setScenario(e.currentTarget.value)}
              error={scenarioError}
              w={240}
              size="xs"
            />
          </Group>
          <Group gap="xs">
            {DECISION_LABELS.map((l) => (
              <Button
                key={l}
                size="xs"
                variant="light"
                color={LABEL_COLORS[l]}
                loading={mutation.isPending && mutation.variables === l}
                disabled={mutation.isPending || scenarioError !== null}
                onClick={() => mutation.mutate(l)}
              >
                {t(LABEL_KEYS[l])}
              </Button>
            ))}
          </Group>
          <Text size="xs" c="dimmed">
            {t('decision.labelReplaces')}
          </Text>
          {done && (
            <Alert color="green" variant="light" data-testid="label-notice">
              {t('decision.labelled', { label: t(LABEL_KEYS[done]) })}
            </Alert>
          )}
          {mutation.isError && (
            <Alert color="red" variant="light" role="alert" data-testid="label-error">
              {errorText(mutation.error)}
            </Alert>
          )}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          {t('decision.cannotLabel')}
        </Text>
      )}
    </Stack>
  );
}
