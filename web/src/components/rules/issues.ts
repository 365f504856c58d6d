import type { MessageKey } from '../../i18n/en.ts';
import { type I18n, useI18n } from '../../i18n/index.tsx';

/**
 * The rule checker's messages in the user's language. The server words each problem in
 * English from a fixed set of forms; a form known here is said in the dictionary's words
 * with the same names and types filled in, anything else is shown as the server wrote it.
 */
const FORMS: ReadonlyArray<{ re: RegExp; key: MessageKey; names: readonly string[] }> = [
  { re: /^cannot compare (.+) with (.+) using '(.+)'$/, key: 'celIssue.compare', names: ['a', 'b', 'op'] },
  {
    re: /^unknown feature '(.+?)'; did you mean '(.+)'\?$/,
    key: 'celIssue.unknownFeatureNear',
    names: ['name', 'near'],
  },
  { re: /^unknown feature '(.+?)'; known: (.+)$/, key: 'celIssue.unknownFeature', names: ['name', 'known'] },
  {
    re: /^'(.+?)' has no field '(.+?)'; did you mean '(.+)'\?$/,
    key: 'celIssue.noFieldNear',
    names: ['path', 'field', 'near'],
  },
  {
    re: /^'(.+?)' has no field '(.+?)'; known: (.+)$/,
    key: 'celIssue.noField',
    names: ['path', 'field', 'known'],
  },
  {
    re: /^unknown name '(.+?)'; did you mean '(.+)'\?$/,
    key: 'celIssue.unknownNameNear',
    names: ['name', 'near'],
  },
  { re: /^unknown name '(.+?)'; rules can use (.+)$/, key: 'celIssue.unknownName', names: ['name', 'known'] },
  { re: /^unknown function '(.+)'$/, key: 'celIssue.unknownFunction', names: ['name'] },
  {
    re: /^'(.+?)' is not a value of (.+?); did you mean '(.+)'\?$/,
    key: 'celIssue.notAValueNear',
    names: ['value', 'source', 'near'],
  },
  {
    re: /^'(.+?)' is not a value of (.+?); it is one of (.+)$/,
    key: 'celIssue.notAValue',
    names: ['value', 'source', 'values'],
  },
  {
    re: /^a rule must be true or false, but this expression is (.+)$/,
    key: 'celIssue.notBool',
    names: ['type'],
  },
  {
    re: /^'(.+?)' needs true or false on both sides, but this is (.+)$/,
    key: 'celIssue.logicalNotBool',
    names: ['op', 'type'],
  },
  { re: /^'(.+?)' cannot be applied to (.+) and (.+)$/, key: 'celIssue.operator', names: ['op', 'a', 'b'] },
  {
    re: /^a value is never null here; use has\(\.\.\.\) to test whether it is present$/,
    key: 'celIssue.neverNull',
    names: [],
  },
  { re: /^this string is never closed$/, key: 'celIssue.stringNotClosed', names: [] },
  { re: /^'(.)' is never closed$/, key: 'celIssue.notClosed', names: ['ch'] },
  {
    re: /^'(.)' closes nothing: there is no open '(.)'$/,
    key: 'celIssue.closesNothing',
    names: ['ch', 'open'],
  },
  {
    re: /^'(.)' does not match the '(.)' opened at line (\d+), column (\d+)$/,
    key: 'celIssue.mismatched',
    names: ['ch', 'open', 'line', 'column'],
  },
  { re: /^something is missing after '(.+)'$/, key: 'celIssue.missingAfter', names: ['token'] },
  {
    re: /^the expression ends after '(.+)'; something is missing$/,
    key: 'celIssue.endsAfter',
    names: ['token'],
  },
  { re: /^the expression is empty$/, key: 'celIssue.empty', names: [] },
  { re: /^unexpected character '(.+)'$/, key: 'celIssue.unexpectedChar', names: ['ch'] },
  { re: /^'=' is not an operator; compare with '=='$/, key: 'celIssue.singleEquals', names: [] },
  {
    re: /^'(&|\|)' is not an operator; use '(&&|\|\|)'$/,
    key: 'celIssue.singleLogical',
    names: ['op', 'use'],
  },
  { re: /^syntax error: ([\s\S]+)$/, key: 'celIssue.syntax', names: ['detail'] },
];

export function issueText(i18n: Pick<I18n, 't'>, message: string): string {
  for (const form of FORMS) {
    const m = form.re.exec(message);
    if (!m) continue;
    const params: Record<string, string> = {};
    form.names.forEach((name, i) => {
      params[name] = m[i + 1] ?? '';
    });
    return i18n.t(form.key, params);
  }
  return message;
}

export function useIssueText(): (message: string) => string {
  const i18n = useI18n();
  return (message) => issueText(i18n, message);
}
