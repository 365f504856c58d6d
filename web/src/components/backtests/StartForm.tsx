import {
  ActionIcon,
  Alert,
  Button,
  Checkbox,
  Group,
  NumberInput,
  Radio,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import {
  BACKTEST_KEYS,
  BACKTEST_LIMITS,
  backtest,
  defaultStartForm,
  type StartForm as Form,
  type StartBody,
  type StartProblem,
  startBody,
} from '../../api/backtests.ts';
import { fieldProblemOf, newIdempotencyKey, RULE_KEYS, ruleList } from '../../api/rules.ts';
import { useApi } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { useRuleStateLabel } from '../rules/labels.tsx';

const PROBLEMS: Record<StartProblem, MessageKey> = {
  fromInvalid: 'backtests.problem.fromInvalid',
  toInvalid: 'backtests.problem.toInvalid',
  toFuture: 'backtests.problem.toFuture',
  order: 'backtests.problem.order',
  span: 'backtests.problem.span',
  warmup: 'backtests.problem.warmup',
  noVersions: 'backtests.problem.noVersions',
  versionMissing: 'backtests.problem.versionMissing',
  tooManyVersions: 'backtests.problem.tooManyVersions',
  ruleTwice: 'backtests.problem.ruleTwice',
};

/** States a candidate version can be tried from: what is not acting yet. */
const TRYABLE = new Set(['draft', 'shadow']);

/**
 * The form that starts a back-test: the period (the last 7 days up to now by default), the
 * candidate (the active set, or it with chosen draft or shadow versions acting), and the
 * warm-up. The request is checked here first in the server's terms; a started run opens.
 */
export function StartForm() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const stateLabel = useRuleStateLabel();
  const [form, setForm] = useState<Form>(() => defaultStartForm(new Date()));
  const [problem, setProblem] = useState<StartProblem | null>(null);
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));

  const rules = useQuery({
    queryKey: RULE_KEYS.all,
    queryFn: () => api.get('/v1/risk/rules', ruleList),
    enabled: form.mode === 'versions',
  });
  const tryable = useMemo(
    () =>
      (rules.data?.rules ?? [])
        .map((r) => ({ rule: r, versions: r.versions.filter((v) => TRYABLE.has(v.state)) }))
        .filter((r) => r.versions.length > 0),
    [rules.data],
  );

  const start = useMutation({
    mutationFn: (body: StartBody) =>
      api.post('/v1/risk/backtests', backtest, body, { idempotencyKey: newIdempotencyKey() }),
    onSuccess: async (b) => {
      await queryClient.invalidateQueries({ queryKey: BACKTEST_KEYS.all });
      navigate(`/backtests/${b.id}`);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = startBody(form, new Date());
    if ('problem' in r) {
      setProblem(r.problem);
      return;
    }
    setProblem(null);
    start.mutate(r.body);
  };
  const serverField = fieldProblemOf(start.error);

  return (
    <form onSubmit={submit} noValidate data-testid="backtest-form">
      <Stack gap="sm">
        <Group align="flex-start">
          <TextInput
            type="datetime-local"
            label={t('backtests.from')}
            value={form.from}
            onChange={(e) => set({ from: e.currentTarget.value })}
            description={t('backtests.periodHint', { days: BACKTEST_LIMITS.spanDaysMax })}
            w={240}
          />
          <Stack gap={6}>
            <TextInput
              type="datetime-local"
              label={t('backtests.to')}
              value={form.to}
              onChange={(e) => set({ to: e.currentTarget.value })}
              disabled={form.toNow}
              w={240}
            />
            <Checkbox
              label={t('backtests.toNow')}
              checked={form.toNow}
              onChange={(e) => set({ toNow: e.currentTarget.checked })}
            />
          </Stack>
          <NumberInput
            label={t('backtests.warmup')}
            description={t('backtests.warmupHint', { max: BACKTEST_LIMITS.warmupDaysMax })}
            value={form.warmupDays}
            onChange={(v) => set({ warmupDays: v })}
            min={0}
            max={BACKTEST_LIMITS.warmupDaysMax}
            allowDecimal={false}
            allowNegative={false}
            w={260}
          />
        </Group>
        <Radio.Group
          label={t('backtests.candidate')}
          value={form.mode}
          onChange={(v) => set({ mode: v === 'versions' ? 'versions' : 'active' })}
        >
          <Group mt={4}>
            <Radio value="active" label={t('backtests.candidateActive')} />
            <Radio value="versions" label={t('backtests.candidateVersions')} />
          </Group>
        </Radio.Group>
        {form.mode === 'versions' && (
          <Stack gap="xs" data-testid="backtest-versions">
            <Text size="xs" c="dimmed">
              {t('backtests.candidateVersionsHint')}
            </Text>
            {rules.isPending ? (
              <Text size="sm" c="dimmed">
                {t('state.loading')}
              </Text>
            ) : rules.isError ? (
              <Alert color="red" variant="light" role="alert">
                {errorText(rules.error)}
              </Alert>
            ) : tryable.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('backtests.noCandidates')}
              </Text>
            ) : (
              <>
                {form.versions.map((row, i) => {
                  const versions = tryable.find((r) => r.rule.id === row.ruleId)?.versions ?? [];
                  const update = (patch: Partial<(typeof form.versions)[number]>) =>
                    set({ versions: form.versions.map((v, j) => (j === i ? { ...v, ...patch } : v)) });
                  return (
                    // Rows have no id of their own; their position is what the user edits.
                    // biome-ignore lint/suspicious/noArrayIndexKey: see above
                    <Group key={i} align="flex-end">
                      <Select
                        label={t('backtests.rule')}
                        placeholder={t('backtests.pickRule')}
                        data={tryable.map((r) => ({
                          value: r.rule.id,
                          label: `${r.rule.id} · ${r.rule.name}`,
                        }))}
                        value={row.ruleId}
                        onChange={(v) => {
                          const first = tryable.find((r) => r.rule.id === v)?.versions[0];
                          update({ ruleId: v, version: first ? first.version : null });
                        }}
                        searchable
                        w={380}
                      />
                      <Select
                        label={t('backtests.version')}
                        placeholder={t('backtests.pickVersion')}
                        data={versions.map((v) => ({
                          value: String(v.version),
                          label: t('backtests.versionOption', {
                            version: v.version,
                            state: stateLabel(v.state),
                          }),
                        }))}
                        value={row.version === null ? null : String(row.version)}
                        onChange={(v) => update({ version: v === null ? null : Number(v) })}
                        disabled={row.ruleId === null}
                        w={200}
                      />
                      {form.versions.length > 1 && (
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          size="lg"
                          aria-label={t('backtests.removeVersion')}
                          onClick={() => set({ versions: form.versions.filter((_, j) => j !== i) })}
                        >
                          ×
                        </ActionIcon>
                      )}
                    </Group>
                  );
                })}
                {form.versions.length < Math.min(BACKTEST_LIMITS.ruleVersionsMax, tryable.length) && (
                  <Group>
                    <Button
                      variant="subtle"
                      size="xs"
                      onClick={() => set({ versions: [...form.versions, { ruleId: null, version: null }] })}
                    >
                      {t('backtests.addVersion')}
                    </Button>
                  </Group>
                )}
              </>
            )}
          </Stack>
        )}
        {problem && (
          <Alert color="red" variant="light" role="alert" data-testid="backtest-form-problem">
            {t(PROBLEMS[problem], {
              days: BACKTEST_LIMITS.spanDaysMax,
              max: problem === 'warmup' ? BACKTEST_LIMITS.warmupDaysMax : BACKTEST_LIMITS.ruleVersionsMax,
            })}
          </Alert>
        )}
        {start.isError && (
          <Alert color="red" variant="light" role="alert" data-testid="backtest-start-error">
            <Text size="sm">{errorText(start.error)}</Text>
            {serverField && (
              <Text size="xs" c="dimmed">
                {t('backtest.serverSaid', { message: `${serverField.field}: ${serverField.message}` })}
              </Text>
            )}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={start.isPending} data-testid="backtest-start">
            {t('backtests.start')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
