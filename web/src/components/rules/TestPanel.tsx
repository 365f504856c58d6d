import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  NativeSelect,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/errors.ts';
import type { FeatureInfo } from '../../api/rules.ts';
import {
  type RuleEvaluation,
  type RuleIssue,
  type RuleMessage,
  type RuleVersion,
  ruleIssuesOf,
  type TestAnswer,
  testAnswer,
} from '../../api/rules.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { OutcomeBadge, useOutcomeLabel } from '../Common.tsx';
import { EXAMPLE_EVENT, exampleFeatures, pretty } from './examples.ts';
import { RuleStateBadge, useRuleStateLabel } from './labels.tsx';

type Mode = 'expression' | 'version' | 'live';

export interface EditedRule {
  expression: string;
  action: string;
  score: number | null;
  messageKey: string;
  warningKey: string | null;
}

export interface TestPanelProps {
  features: readonly FeatureInfo[];
  messages: readonly RuleMessage[];
  /** The expression being written, with the form's other fields; absent for a reader. */
  edited?: EditedRule | null;
  /** Problems the server found in the edited expression, for the editor to mark. */
  onIssues?: (issues: RuleIssue[], checkedText: string) => void;
  ruleId?: string;
  versions?: readonly RuleVersion[];
  /** A version chosen elsewhere on the page ("Test this version"); the nonce repeats a choice. */
  request?: { version: number; nonce: number } | null;
}

function parseObject(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: '' };
    return { ok: true, value: { ...value } };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Try the edited expression, a stored version or the live rule set against an event and its features. */
export function TestPanel(props: TestPanelProps) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const stateLabel = useRuleStateLabel();
  const versions = props.versions ?? [];
  const [mode, setMode] = useState<Mode>(
    props.edited ? 'expression' : versions.length > 0 ? 'version' : 'live',
  );
  const [version, setVersion] = useState<string>(String(versions[0]?.version ?? ''));
  const [eventText, setEventText] = useState(() => pretty(EXAMPLE_EVENT));
  const [featuresText, setFeaturesText] = useState(() => pretty(exampleFeatures(props.features)));
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ answer: TestAnswer; tested: EditedRule | null } | null>(null);
  const [problem, setProblem] = useState<{ text: string; detail: string | null } | null>(null);
  const [eventError, setEventError] = useState<string | null>(null);
  const [featuresError, setFeaturesError] = useState<string | null>(null);
  const card = useRef<HTMLDivElement>(null);

  const request = props.request;
  useEffect(() => {
    if (!request) return;
    setMode('version');
    setVersion(String(request.version));
    setAnswer(null);
    setProblem(null);
    card.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [request]);

  const modes: Array<{ value: Mode; label: string }> = [
    ...(props.edited ? [{ value: 'expression' as const, label: t('ruleTest.modeExpression') }] : []),
    ...(versions.length > 0 ? [{ value: 'version' as const, label: t('ruleTest.modeVersion') }] : []),
    { value: 'live', label: t('ruleTest.modeLive') },
  ];

  const run = async () => {
    setAnswer(null);
    setProblem(null);
    const event = parseObject(eventText);
    const features = parseObject(featuresText);
    const bad = (what: string, r: { ok: false; error: string }) =>
      r.error ? t('ruleTest.badJson', { what, message: r.error }) : t('ruleTest.notObject', { what });
    setEventError(event.ok ? null : bad(t('ruleTest.event'), event));
    setFeaturesError(features.ok ? null : bad(t('ruleTest.features'), features));
    if (!event.ok || !features.ok) return;
    const edited = props.edited ?? null;
    let target: Record<string, unknown>;
    if (mode === 'expression') {
      if (!edited || edited.expression.trim() === '') {
        setProblem({ text: t('rule.invalid.expression'), detail: null });
        return;
      }
      target = { expression: edited.expression };
    } else if (mode === 'version') {
      if (!props.ruleId || version === '') return;
      target = { ruleId: props.ruleId, version: Number(version) };
    } else {
      target = { live: true };
    }
    setBusy(true);
    try {
      const r = await api.post('/v1/risk/rules/test', testAnswer, {
        ...target,
        event: event.value,
        features: features.value,
      });
      setAnswer({ answer: r, tested: mode === 'expression' ? edited : null });
      if (mode === 'expression' && edited) props.onIssues?.([], edited.expression);
    } catch (err) {
      const issues = ruleIssuesOf(err);
      if (issues && mode === 'expression' && edited) props.onIssues?.(issues, edited.expression);
      setProblem({
        text: i18n.errorText(err),
        detail: err instanceof ApiError && err.code !== 'RISK_RULE_INVALID' && err.detail ? err.detail : null,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder ref={card} data-testid="rule-test">
      <Stack>
        <Group justify="space-between" align="flex-end">
          <Text fw={600} size="lg" component="h3" m={0}>
            {t('ruleTest.title')}
          </Text>
          <Group gap="xs" align="flex-end">
            <SegmentedControl
              size="xs"
              aria-label={t('ruleTest.mode')}
              value={mode}
              onChange={(v) => {
                if (v === 'expression' || v === 'version' || v === 'live') {
                  setMode(v);
                  setAnswer(null);
                  setProblem(null);
                }
              }}
              data={modes}
              data-testid="rule-test-mode"
            />
            {mode === 'version' && (
              <NativeSelect
                size="xs"
                aria-label={t('ruleTest.version')}
                value={version}
                onChange={(e) => setVersion(e.currentTarget.value)}
                data={versions.map((v) => ({
                  value: String(v.version),
                  label: `v${v.version} · ${stateLabel(v.state)}`,
                }))}
              />
            )}
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Textarea
            label={t('ruleTest.event')}
            description={t('ruleTest.eventHint')}
            value={eventText}
            onChange={(e) => setEventText(e.currentTarget.value)}
            autosize
            minRows={8}
            maxRows={16}
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
            error={eventError}
            data-testid="rule-test-event"
          />
          <Textarea
            label={t('ruleTest.features')}
            description={t('ruleTest.featuresHint')}
            value={featuresText}
            onChange={(e) => setFeaturesText(e.currentTarget.value)}
            autosize
            minRows={8}
            maxRows={16}
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
            error={featuresError}
            data-testid="rule-test-features"
          />
        </SimpleGrid>
        <Group justify="space-between">
          <Button
            variant="subtle"
            size="xs"
            onClick={() => {
              setEventText(pretty(EXAMPLE_EVENT));
              setFeaturesText(pretty(exampleFeatures(props.features)));
              setEventError(null);
              setFeaturesError(null);
            }}
          >
            {t('ruleTest.resetExamples')}
          </Button>
          <Button onClick={() => void run()} loading={busy} data-testid="rule-test-run">
            {t('ruleTest.run')}
          </Button>
        </Group>
        {problem && (
          <Alert color="red" variant="light" role="alert" data-testid="rule-test-error">
            <Text size="sm">{problem.text}</Text>
            {problem.detail && (
              <Text size="xs" c="dimmed" mt={4}>
                {t('ruleTest.serverSaid', { message: problem.detail })}
              </Text>
            )}
          </Alert>
        )}
        {answer && <TestResult answer={answer.answer} tested={answer.tested} messages={props.messages} />}
      </Stack>
    </Card>
  );
}

function useMessageText(messages: readonly RuleMessage[]): (key: string | null) => string | null {
  const { locale } = useI18n();
  return (key) => {
    if (!key) return null;
    const m = messages.find((x) => x.key === key);
    return m ? m[locale] : key;
  };
}

function TestResult({
  answer,
  tested,
  messages,
}: {
  answer: TestAnswer;
  tested: EditedRule | null;
  messages: readonly RuleMessage[];
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const outcomeLabel = useOutcomeLabel();
  const messageText = useMessageText(messages);
  const stateLabel = useRuleStateLabel();
  if (answer.mode === 'expression') {
    return (
      <Card withBorder bg="var(--mantine-color-default-hover)" data-testid="rule-test-result">
        <Stack gap="xs">
          <Group gap="sm">
            {answer.matched === true ? (
              <Badge color="red" size="lg" data-testid="rule-test-matched">
                {t('ruleTest.matched')}
              </Badge>
            ) : answer.matched === false ? (
              <Badge color="green" variant="light" size="lg" data-testid="rule-test-matched">
                {t('ruleTest.notMatched')}
              </Badge>
            ) : (
              <Badge color="orange" variant="light" size="lg" data-testid="rule-test-matched">
                {t('ruleTest.noAnswer')}
              </Badge>
            )}
            {answer.latencyUs !== null && (
              <Text size="xs" c="dimmed">
                {t('ruleTest.latency', { us: i18n.number(Math.round(answer.latencyUs * 10) / 10) })}
              </Text>
            )}
          </Group>
          {answer.matched === true && tested && (
            <>
              <Text size="sm">
                {t('ruleTest.wouldAsk', {
                  action: outcomeLabel(tested.action),
                  score: tested.score === null ? '—' : i18n.number(tested.score),
                })}
              </Text>
              {tested.messageKey && (
                <Text size="sm" c="dimmed">
                  {t('ruleTest.customerMessage')}: “{messageText(tested.messageKey)}”
                </Text>
              )}
              {tested.warningKey && (
                <Text size="sm" c="dimmed">
                  {t('ruleTest.warnings')}: “{messageText(tested.warningKey)}”
                </Text>
              )}
            </>
          )}
          {answer.error && (
            <Text size="sm" c="orange.8">
              {t('ruleTest.runError', { message: answer.error })}
            </Text>
          )}
        </Stack>
      </Card>
    );
  }
  const e: RuleEvaluation = answer.evaluation;
  const acting = e.hits.filter((h) => !h.shadow);
  const matched = answer.mode === 'rule' ? e.hits.length > 0 : acting.length > 0;
  return (
    <Card withBorder bg="var(--mantine-color-default-hover)" data-testid="rule-test-result">
      <Stack gap="sm">
        <Group gap="sm">
          <Badge
            color={matched ? 'red' : 'green'}
            variant={matched ? 'filled' : 'light'}
            size="lg"
            data-testid="rule-test-matched"
          >
            {matched ? t('ruleTest.matched') : t('ruleTest.notMatched')}
          </Badge>
          {answer.mode === 'rule' && answer.state && (
            <Text size="sm" c="dimmed">
              {t('ruleTest.versionState', { state: stateLabel(answer.state) })}
            </Text>
          )}
          {e.latency && (
            <Text size="xs" c="dimmed">
              {t('ruleTest.latency', { us: i18n.number(Math.round(e.latency.totalUs * 10) / 10) })}
            </Text>
          )}
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              {t('ruleTest.outcome')}
            </Text>
            <div>
              <OutcomeBadge outcome={e.outcome} />
            </div>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              {t('ruleTest.score')}
            </Text>
            <Text fw={600}>{i18n.number(e.score)}</Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              {t('ruleTest.reasonCodes')}
            </Text>
            <Text size="sm">{e.reasonCodes.join(', ') || '—'}</Text>
          </Stack>
        </SimpleGrid>
        {e.messageKey && (
          <Text size="sm">
            {t('ruleTest.customerMessage')}: “{messageText(e.messageKey)}”
          </Text>
        )}
        {e.warningKeys.map((w) => (
          <Text size="sm" key={w}>
            {t('ruleTest.warnings')}: “{messageText(w)}”
          </Text>
        ))}
        {e.withShadow && answer.mode === 'live' && (
          <Text size="sm" c="dimmed">
            {t('ruleTest.withShadow', {
              outcome: outcomeLabel(e.withShadow.outcome),
              score: e.withShadow.score,
            })}
          </Text>
        )}
        {e.hits.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('ruleTest.noHits')}
          </Text>
        ) : (
          <Table withTableBorder fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('ruleTest.hits')}</Table.Th>
                <Table.Th>{t('rule.field.action')}</Table.Th>
                <Table.Th ta="right">{t('rule.field.score')}</Table.Th>
                <Table.Th>{t('rule.field.reasonCode')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {e.hits.map((h) => (
                <Table.Tr key={`${h.ruleId}@${h.version}`}>
                  <Table.Td>
                    <Group gap={6}>
                      <Code>{`${h.ruleId} v${h.version}`}</Code>
                      {h.shadow && <RuleStateBadge state="shadow" size="xs" />}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <OutcomeBadge outcome={h.action} />
                  </Table.Td>
                  <Table.Td ta="right">{i18n.number(h.score)}</Table.Td>
                  <Table.Td>
                    <Code>{h.reasonCode}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {e.errors.length > 0 && (
          <Alert color="orange" variant="light" title={t('ruleTest.errors')}>
            <Stack gap={2}>
              {e.errors.map((x) => (
                <Text size="sm" key={`${x.ruleId}@${x.version}`}>
                  <Code>{`${x.ruleId} v${x.version}`}</Code> {x.message}
                </Text>
              ))}
            </Stack>
          </Alert>
        )}
        {e.inputErrors.length > 0 && (
          <Alert color="orange" variant="light" title={t('ruleTest.inputErrors')}>
            <Stack gap={2}>
              {e.inputErrors.map((x) => (
                <Text size="sm" key={x.field}>
                  <Code>{x.field}</Code> {x.message}
                </Text>
              ))}
            </Stack>
          </Alert>
        )}
      </Stack>
    </Card>
  );
}
