import { Alert, Box, Code, Group, Input, Stack, Text } from '@mantine/core';
import { type CSSProperties, type ReactNode, type Ref, useId, useRef } from 'react';
import type { RuleIssue } from '../../api/rules.ts';
import { useI18n } from '../../i18n/index.tsx';
import { useIssueText } from './issues.ts';

/**
 * The CEL editor: a monospace textarea with line numbers. Problems the server found are
 * marked where they are: the line is tinted and the token at the column underlined, on a
 * layer behind the (transparent) textarea that lays out the text exactly as it does.
 */

const LINE_HEIGHT = 20;
const PAD = 8;
const FONT: CSSProperties = {
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  fontSize: 13,
  lineHeight: `${LINE_HEIGHT}px`,
  tabSize: 2,
  letterSpacing: 0,
};
const ISSUE_LINE_BG = 'rgba(250, 82, 82, 0.10)';
const ISSUE_MARK_BG = 'rgba(250, 82, 82, 0.28)';

/** How far the problem's token reaches from its column: a name, an operator, a string, or one character. */
export function tokenLength(line: string, start: number): number {
  const c = line.charAt(start);
  if (c === '') return 0;
  const patterns = [/^[A-Za-z0-9_]+/, /^[=!<>&|+\-*/%?:]+/, /^'[^']*'?/, /^"[^"]*"?/];
  for (const re of patterns) {
    const m = re.exec(line.slice(start));
    if (m) return m[0].length;
  }
  return 1;
}

interface Mark {
  start: number;
  length: number;
  issue: RuleIssue;
}

/** The issues of each line as marks that do not overlap, in order. */
function marksByLine(lines: string[], issues: readonly RuleIssue[]): Map<number, Mark[]> {
  const out = new Map<number, Mark[]>();
  const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
  for (const issue of sorted) {
    const text = lines[issue.line - 1];
    if (text === undefined) continue;
    const start = Math.min(Math.max(issue.column - 1, 0), text.length);
    const list = out.get(issue.line) ?? [];
    const last = list[list.length - 1];
    if (last && start < last.start + Math.max(last.length, 1)) continue;
    list.push({ start, length: tokenLength(text, start), issue });
    out.set(issue.line, list);
  }
  return out;
}

function Backdrop({ lines, marks }: { lines: string[]; marks: Map<number, Mark[]> }) {
  return (
    <>
      {lines.map((text, i) => {
        const lineNo = i + 1;
        const lineMarks = marks.get(lineNo);
        if (!lineMarks) return <div key={lineNo}>{text || ' '}</div>;
        const parts: ReactNode[] = [];
        let at = 0;
        for (const m of lineMarks) {
          parts.push(text.slice(at, m.start));
          parts.push(
            <mark
              key={m.start}
              data-issue-line={m.issue.line}
              data-issue-column={m.issue.column}
              style={{
                background: ISSUE_MARK_BG,
                color: 'transparent',
                textDecoration: 'underline wavy var(--mantine-color-red-6)',
                textDecorationSkipInk: 'none',
                textUnderlineOffset: 3,
                borderRadius: 2,
                padding: 0,
              }}
            >
              {m.length > 0 ? text.slice(m.start, m.start + m.length) : ' '}
            </mark>,
          );
          at = m.start + m.length;
        }
        parts.push(text.slice(at));
        return (
          <div key={lineNo} style={{ background: ISSUE_LINE_BG }}>
            {parts}
            {text.length === 0 ? ' ' : null}
          </div>
        );
      })}
    </>
  );
}

function Gutter({ count, issueLines }: { count: number; issueLines: ReadonlySet<number> }) {
  return (
    <Box
      aria-hidden
      style={{
        ...FONT,
        padding: `${PAD}px 8px ${PAD}px 10px`,
        textAlign: 'right',
        userSelect: 'none',
        color: 'var(--mantine-color-dimmed)',
        background: 'var(--mantine-color-default-hover)',
        borderRight: '1px solid var(--mantine-color-default-border)',
        minWidth: 40,
      }}
    >
      {Array.from({ length: count }, (_, i) => {
        const lineNo = i + 1;
        const bad = issueLines.has(lineNo);
        return (
          <div
            key={lineNo}
            style={
              bad ? { color: 'var(--mantine-color-red-7)', fontWeight: 700, background: ISSUE_LINE_BG } : {}
            }
          >
            {lineNo}
          </div>
        );
      })}
    </Box>
  );
}

export interface CelEditorProps {
  label: string;
  description?: string;
  value: string;
  onChange(value: string): void;
  issues: readonly RuleIssue[];
  /** The issues were found in another text than the one shown (it was edited since). */
  stale?: boolean;
  minRows?: number;
  maxLength?: number;
  textareaRef?: Ref<HTMLTextAreaElement>;
  testId?: string;
  error?: string | null;
}

export function CelEditor(props: CelEditorProps) {
  const { t } = useI18n();
  const id = useId();
  const backdrop = useRef<HTMLDivElement>(null);
  const lines = props.value.split('\n');
  const rows = Math.max(props.minRows ?? 4, lines.length);
  const height = rows * LINE_HEIGHT + PAD * 2 + 14;
  const shown = props.stale ? [] : props.issues;
  const marks = marksByLine(lines, shown);
  const issueLines = new Set(marks.keys());
  const describedBy = [props.description ? `${id}-description` : null, `${id}-issues`]
    .filter(Boolean)
    .join(' ');

  return (
    <Input.Wrapper
      label={props.label}
      description={props.description}
      id={id}
      error={props.error}
      data-testid={props.testId}
    >
      <Box
        mt={4}
        style={{
          display: 'flex',
          border: `1px solid ${issueLines.size > 0 ? 'var(--mantine-color-red-6)' : 'var(--mantine-color-default-border)'}`,
          borderRadius: 'var(--mantine-radius-sm)',
          overflow: 'hidden',
          background: 'var(--mantine-color-body)',
        }}
      >
        <Gutter count={rows} issueLines={issueLines} />
        <Box style={{ position: 'relative', flex: 1, minWidth: 0 }}>
          <div
            ref={backdrop}
            aria-hidden
            style={{
              ...FONT,
              position: 'absolute',
              inset: 0,
              padding: PAD,
              whiteSpace: 'pre',
              overflow: 'hidden',
              color: 'transparent',
              pointerEvents: 'none',
            }}
          >
            <Backdrop lines={lines} marks={marks} />
          </div>
          <textarea
            id={id}
            ref={props.textareaRef}
            value={props.value}
            onChange={(e) => props.onChange(e.currentTarget.value)}
            onScroll={(e) => {
              if (backdrop.current) {
                backdrop.current.scrollLeft = e.currentTarget.scrollLeft;
                backdrop.current.scrollTop = e.currentTarget.scrollTop;
              }
            }}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            autoCorrect="off"
            wrap="off"
            maxLength={props.maxLength}
            aria-invalid={issueLines.size > 0}
            aria-describedby={describedBy}
            style={{
              ...FONT,
              position: 'relative',
              display: 'block',
              width: '100%',
              height,
              margin: 0,
              padding: PAD,
              border: 'none',
              outline: 'none',
              resize: 'none',
              background: 'transparent',
              color: 'var(--mantine-color-text)',
              whiteSpace: 'pre',
              overflowX: 'auto',
              overflowY: 'hidden',
            }}
          />
        </Box>
      </Box>
      <div id={`${id}-issues`}>
        <IssueList issues={props.issues} source={props.value} stale={props.stale ?? false} />
      </div>
      {props.stale && props.issues.length > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          {t('celEditor.stale')}
        </Text>
      )}
    </Input.Wrapper>
  );
}

/** Each problem with its position and the line it is on, a caret under the column. */
export function IssueList({
  issues,
  source,
  stale,
}: {
  issues: readonly RuleIssue[];
  source: string;
  stale: boolean;
}) {
  const { t } = useI18n();
  const issueText = useIssueText();
  if (issues.length === 0) return null;
  const lines = source.split('\n');
  return (
    <Alert
      color="red"
      variant="light"
      mt="xs"
      title={t('celEditor.issuesTitle')}
      data-testid="cel-issues"
      role="alert"
      style={stale ? { opacity: 0.6 } : undefined}
    >
      <Stack gap="xs">
        {issues.map((issue) => {
          const text = lines[issue.line - 1];
          const caretPad = (text ?? '').slice(0, Math.max(issue.column - 1, 0)).replace(/[^\t]/g, ' ');
          return (
            <div key={`${issue.line}:${issue.column}:${issue.message}`} data-testid="cel-issue">
              <Group gap="xs" wrap="nowrap" align="baseline">
                <Code>{t('celEditor.issueAt', { line: issue.line, column: issue.column })}</Code>
                <Text size="sm">{issueText(issue.message)}</Text>
              </Group>
              {!stale && text !== undefined && (
                <Box
                  component="pre"
                  aria-hidden
                  m={0}
                  mt={4}
                  style={{ ...FONT, whiteSpace: 'pre', overflowX: 'auto' }}
                >
                  {text}
                  {'\n'}
                  <span
                    style={{ color: 'var(--mantine-color-red-7)', fontWeight: 700 }}
                  >{`${caretPad}^`}</span>
                </Box>
              )}
            </div>
          );
        })}
      </Stack>
    </Alert>
  );
}

/** A stored expression, read-only, with line numbers; lines not in `against` are tinted. */
export function CelView({
  expression,
  against,
  testId,
}: {
  expression: string;
  against?: string | null;
  testId?: string;
}) {
  const lines = expression.split('\n');
  const other = against === undefined || against === null ? null : new Set(against.split('\n'));
  return (
    <Box
      data-testid={testId}
      style={{
        display: 'flex',
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 'var(--mantine-radius-sm)',
        overflow: 'hidden',
      }}
    >
      <Gutter count={lines.length} issueLines={new Set()} />
      <Box
        component="pre"
        m={0}
        style={{ ...FONT, padding: PAD, whiteSpace: 'pre', overflowX: 'auto', flex: 1, minWidth: 0 }}
      >
        {lines.map((line, i) => (
          <div
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a fixed text are identified by their number
            key={i}
            style={other && !other.has(line) ? { background: 'rgba(64, 192, 87, 0.14)' } : undefined}
          >
            {line || ' '}
          </div>
        ))}
      </Box>
    </Box>
  );
}
