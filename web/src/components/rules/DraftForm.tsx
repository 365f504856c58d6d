import {
  Alert,
  Button,
  Card,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { type Ref, useRef, useState } from 'react';
import { ApiError } from '../../api/errors.ts';
import {
  fieldProblemOf,
  newIdempotencyKey,
  REASON_CODE_RE,
  RULE_ACTIONS,
  RULE_ID_RE,
  RULE_LIMITS,
  type Rule,
  type RuleIssue,
  type RuleMessage,
  rule as ruleDecoder,
  ruleIssuesOf,
  testAnswer,
} from '../../api/rules.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useOutcomeLabel } from '../Common.tsx';
import { CelEditor } from './CelEditor.tsx';

/** Everything the analyst types, as typed (the score is checked when saving). */
export interface DraftValues {
  id: string;
  name: string;
  description: string;
  expression: string;
  action: string;
  score: string;
  reasonCode: string;
  messageKey: string;
  /** Empty for none. */
  warningKey: string;
}

export const EMPTY_DRAFT: DraftValues = {
  id: '',
  name: '',
  description: '',
  expression: '',
  action: 'REVIEW',
  score: '0',
  reasonCode: '',
  messageKey: 'risk.msg.review',
  warningKey: '',
};

export function draftFrom(r: Rule): DraftValues {
  const latest = r.versions[0];
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    expression: latest?.expression ?? '',
    action: latest?.action ?? 'REVIEW',
    score: String(latest?.score ?? 0),
    reasonCode: latest?.reasonCode ?? '',
    messageKey: latest?.messageKey ?? '',
    warningKey: latest?.warningKey ?? '',
  };
}

/** The score as a number when it is a whole number in range, else null. */
export function scoreOf(text: string): number | null {
  if (!/^-?[0-9]{1,4}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= RULE_LIMITS.scoreMin && n <= RULE_LIMITS.scoreMax ? n : null;
}

/** Issues as found in a text: they are shown while the text is the one that was checked. */
export interface CheckedIssues {
  issues: RuleIssue[];
  text: string;
}

type FieldName = keyof DraftValues;
type FieldErrors = Partial<Record<FieldName, string>>;

/** An event that only serves to check an expression (no feature values: nothing is evaluated for real). */
const CHECK_EVENT = { type: 'transfer', customerId: 'cus_check' };

export interface DraftFormProps {
  mode: { kind: 'create' } | { kind: 'version'; rule: Rule };
  values: DraftValues;
  onChange(patch: Partial<DraftValues>): void;
  messages: readonly RuleMessage[];
  checked: CheckedIssues;
  onChecked(checked: CheckedIssues): void;
  textareaRef?: Ref<HTMLTextAreaElement>;
  onSaved(rule: Rule): void;
}

/** A new rule, or a new draft version of one: the expression with its check, and the fields of a version. */
export function DraftForm(props: DraftFormProps) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const api = useApi();
  const outcomeLabel = useOutcomeLabel();
  const { values, onChange, mode } = props;
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [checkOk, setCheckOk] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [saving, setSaving] = useState(false);
  const keyFor = useRef<{ body: string; key: string } | null>(null);

  const customer = props.messages.filter((m) => m.kind === 'customer');
  const warnings = props.messages.filter((m) => m.kind === 'warning');
  const textOf = (key: string) => props.messages.find((m) => m.key === key)?.[locale] ?? '';
  const stale = props.checked.text !== values.expression;

  const set = (patch: Partial<DraftValues>) => {
    const changed = new Set(Object.keys(patch));
    setErrors(Object.fromEntries(Object.entries(errors).filter(([k]) => !changed.has(k))));
    setCheckOk(null);
    onChange(patch);
  };

  const validate = (): FieldErrors => {
    const e: FieldErrors = {};
    const tooLong = (max: number) => t('rule.invalid.tooLong', { max });
    if (mode.kind === 'create' && !RULE_ID_RE.test(values.id)) e.id = t('rule.invalid.id');
    if (values.name.trim() === '') e.name = t('rule.invalid.name');
    else if (values.name.length > RULE_LIMITS.nameMax) e.name = tooLong(RULE_LIMITS.nameMax);
    if (values.description.length > RULE_LIMITS.descriptionMax)
      e.description = tooLong(RULE_LIMITS.descriptionMax);
    if (values.expression.trim() === '') e.expression = t('rule.invalid.expression');
    if (scoreOf(values.score) === null) {
      e.score = t('rule.invalid.score', { min: RULE_LIMITS.scoreMin, max: RULE_LIMITS.scoreMax });
    }
    if (!REASON_CODE_RE.test(values.reasonCode)) e.reasonCode = t('rule.invalid.reasonCode');
    if (!customer.some((m) => m.key === values.messageKey)) e.messageKey = t('rule.invalid.messageKey');
    return e;
  };

  const check = async () => {
    setFailure(null);
    setCheckOk(null);
    if (values.expression.trim() === '') {
      setErrors({ ...errors, expression: t('rule.invalid.expression') });
      return;
    }
    const text = values.expression;
    setChecking(true);
    try {
      await api.post('/v1/risk/rules/test', testAnswer, { expression: text, event: CHECK_EVENT });
      props.onChecked({ issues: [], text });
      setCheckOk(t('rule.editor.checkOk'));
    } catch (err) {
      const issues = ruleIssuesOf(err);
      if (issues) props.onChecked({ issues, text });
      else setFailure(i18n.errorText(err));
    } finally {
      setChecking(false);
    }
  };

  const save = async () => {
    setFailure(null);
    setCheckOk(null);
    const found = validate();
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const draft = {
      expression: values.expression,
      action: values.action,
      score: scoreOf(values.score) ?? 0,
      reasonCode: values.reasonCode,
      messageKey: values.messageKey,
      warningKey: values.action === 'CHALLENGE' && values.warningKey ? values.warningKey : null,
    };
    let path: string;
    let body: Record<string, unknown>;
    if (mode.kind === 'create') {
      path = '/v1/risk/rules';
      body = {
        id: values.id,
        name: values.name.trim(),
        ...(values.description.trim() ? { description: values.description.trim() } : {}),
        ...draft,
      };
    } else {
      path = `/v1/risk/rules/${encodeURIComponent(mode.rule.id)}/versions`;
      body = {
        ...(values.name.trim() !== mode.rule.name ? { name: values.name.trim() } : {}),
        ...(values.description.trim() !== mode.rule.description
          ? { description: values.description.trim() }
          : {}),
        ...draft,
      };
    }
    // The same content sent again (a retry after a lost answer) replays instead of writing twice.
    const serialised = JSON.stringify([path, body]);
    if (keyFor.current?.body !== serialised) keyFor.current = { body: serialised, key: newIdempotencyKey() };
    const text = values.expression;
    setSaving(true);
    try {
      const saved = await api.post(path, ruleDecoder, body, { idempotencyKey: keyFor.current.key });
      props.onChecked({ issues: [], text });
      props.onSaved(saved);
    } catch (err) {
      const issues = ruleIssuesOf(err);
      if (issues) {
        props.onChecked({ issues, text });
        setFailure(i18n.errorText(err));
        return;
      }
      const field = fieldProblemOf(err);
      if (field && field.field in EMPTY_DRAFT) {
        setErrors({ [field.field]: field.message || i18n.errorText(err) });
      }
      if (err instanceof ApiError && err.code === 'RISK_RULE_EXISTS') {
        setErrors({ id: i18n.errorText(err) });
      }
      setFailure(i18n.errorText(err));
    } finally {
      setSaving(false);
    }
  };

  const nextVersion = mode.kind === 'version' ? mode.rule.draftVersion + 1 : 1;

  return (
    <Card withBorder data-testid="rule-draft">
      <Stack>
        <div>
          <Text fw={600} size="lg" component="h3" m={0}>
            {t('rule.editor.draftTitle', { version: nextVersion })}
          </Text>
          <Text size="sm" c="dimmed">
            {mode.kind === 'create'
              ? t('rule.editor.createHint')
              : t('rule.editor.draftHint', { version: mode.rule.draftVersion })}
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, sm: mode.kind === 'create' ? 2 : 1 }}>
          {mode.kind === 'create' && (
            <TextInput
              label={t('rule.field.id')}
              description={t('rule.field.idHint')}
              value={values.id}
              onChange={(e) => set({ id: e.currentTarget.value })}
              error={errors.id}
              required
              maxLength={64}
              autoComplete="off"
              spellCheck={false}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
          )}
          <TextInput
            label={t('rule.field.name')}
            description={mode.kind === 'create' ? t('rule.field.nameHint') : undefined}
            value={values.name}
            onChange={(e) => set({ name: e.currentTarget.value })}
            error={errors.name}
            required
            maxLength={RULE_LIMITS.nameMax}
          />
        </SimpleGrid>
        <Textarea
          label={t('rule.field.description')}
          value={values.description}
          onChange={(e) => set({ description: e.currentTarget.value })}
          error={errors.description}
          autosize
          minRows={1}
          maxRows={4}
          maxLength={RULE_LIMITS.descriptionMax}
        />
        <div>
          <CelEditor
            label={t('rule.field.expression')}
            description={t('rule.field.expressionHint')}
            value={values.expression}
            onChange={(expression) => set({ expression })}
            issues={props.checked.issues}
            stale={stale}
            minRows={5}
            maxLength={RULE_LIMITS.expressionMax}
            textareaRef={props.textareaRef}
            testId="cel-editor"
            error={errors.expression}
          />
          <Group mt="xs" gap="sm">
            <Button
              variant="default"
              onClick={() => void check()}
              loading={checking}
              data-testid="rule-check"
            >
              {t('rule.editor.check')}
            </Button>
            {checkOk && !stale && (
              <Text size="sm" c="green.8" role="status" data-testid="rule-check-ok">
                {checkOk}
              </Text>
            )}
          </Group>
        </div>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <NativeSelect
            label={t('rule.field.action')}
            value={values.action}
            onChange={(e) => {
              const action = e.currentTarget.value;
              set(action === 'CHALLENGE' ? { action } : { action, warningKey: '' });
            }}
            data={RULE_ACTIONS.map((a) => ({ value: a, label: `${outcomeLabel(a)} (${a})` }))}
            error={errors.action}
          />
          <TextInput
            label={t('rule.field.score')}
            description={t('rule.field.scoreHint', { min: RULE_LIMITS.scoreMin, max: RULE_LIMITS.scoreMax })}
            value={values.score}
            onChange={(e) => set({ score: e.currentTarget.value })}
            error={errors.score}
            inputMode="numeric"
            maxLength={5}
          />
          <TextInput
            label={t('rule.field.reasonCode')}
            description={t('rule.field.reasonCodeHint')}
            value={values.reasonCode}
            onChange={(e) => set({ reasonCode: e.currentTarget.value.toUpperCase() })}
            error={errors.reasonCode}
            maxLength={RULE_LIMITS.reasonCodeMax}
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NativeSelect
            label={t('rule.field.messageKey')}
            description={textOf(values.messageKey) || t('rule.field.messageKeyHint')}
            value={values.messageKey}
            onChange={(e) => set({ messageKey: e.currentTarget.value })}
            data={[
              ...(customer.some((m) => m.key === values.messageKey)
                ? []
                : [{ value: values.messageKey, label: values.messageKey || '—' }]),
              ...customer.map((m) => ({ value: m.key, label: m.key })),
            ]}
            error={errors.messageKey}
            data-testid="rule-message-key"
          />
          <NativeSelect
            label={t('rule.field.warningKey')}
            description={
              values.action !== 'CHALLENGE'
                ? t('rule.field.warningOnlyChallenge')
                : values.warningKey
                  ? textOf(values.warningKey)
                  : t('rule.field.warningHint')
            }
            value={values.action === 'CHALLENGE' ? values.warningKey : ''}
            onChange={(e) => set({ warningKey: e.currentTarget.value })}
            disabled={values.action !== 'CHALLENGE'}
            data={[
              { value: '', label: t('rule.field.noWarning') },
              ...warnings.map((m) => ({ value: m.key, label: m.key })),
            ]}
            error={errors.warningKey}
          />
        </SimpleGrid>
        {failure && (
          <Alert color="red" variant="light" role="alert" data-testid="rule-save-error">
            {failure}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button onClick={() => void save()} loading={saving} data-testid="rule-save">
            {t('rule.editor.save')}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
