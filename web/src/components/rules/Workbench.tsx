import { Box, Grid, Stack } from '@mantine/core';
import { useRef, useState } from 'react';
import type { Rule, RuleEnvironment, RuleMessage, RuleVersion } from '../../api/rules.ts';
import { type CheckedIssues, DraftForm, type DraftValues, scoreOf } from './DraftForm.tsx';
import { FeatureReference } from './FeatureReference.tsx';
import { TestPanel } from './TestPanel.tsx';

/**
 * Where a rule is written: the draft form with its CEL editor, the test panel under it
 * (for the edited expression, a stored version or the live set) and the feature
 * reference beside it. A reader gets the test panel and the reference only.
 */
export function RuleWorkbench({
  mode,
  initial,
  env,
  messages,
  canWrite,
  versions,
  testRequest,
  onSaved,
}: {
  mode: { kind: 'create' } | { kind: 'version'; rule: Rule };
  initial: DraftValues;
  env: RuleEnvironment;
  messages: readonly RuleMessage[];
  canWrite: boolean;
  versions?: readonly RuleVersion[];
  testRequest?: { version: number; nonce: number } | null;
  onSaved(rule: Rule): void;
}) {
  const [values, setValues] = useState<DraftValues>(initial);
  const [checked, setChecked] = useState<CheckedIssues>({ issues: [], text: initial.expression });
  const textarea = useRef<HTMLTextAreaElement>(null);
  const ruleId = mode.kind === 'version' ? mode.rule.id : undefined;

  const insert = (path: string) => {
    const el = textarea.current;
    const text = values.expression;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    setValues((v) => ({ ...v, expression: text.slice(0, start) + path + text.slice(end) }));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + path.length, start + path.length);
    });
  };

  const panel = (
    <TestPanel
      features={env.features}
      messages={messages}
      edited={
        canWrite
          ? {
              expression: values.expression,
              action: values.action,
              score: scoreOf(values.score),
              messageKey: values.messageKey,
              warningKey: values.action === 'CHALLENGE' && values.warningKey ? values.warningKey : null,
            }
          : null
      }
      onIssues={(issues, text) => setChecked({ issues, text })}
      {...(ruleId !== undefined ? { ruleId } : {})}
      {...(versions ? { versions } : {})}
      request={testRequest ?? null}
    />
  );

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, lg: 8 }}>
        <Stack>
          {canWrite && (
            <DraftForm
              mode={mode}
              values={values}
              onChange={(patch) => setValues((v) => ({ ...v, ...patch }))}
              messages={messages}
              checked={checked}
              onChecked={setChecked}
              textareaRef={textarea}
              onSaved={onSaved}
            />
          )}
          {panel}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 4 }}>
        <Box style={{ position: 'sticky', top: 76 }}>
          <FeatureReference env={env} {...(canWrite ? { onInsert: insert } : {})} />
        </Box>
      </Grid.Col>
    </Grid>
  );
}
