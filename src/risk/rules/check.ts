import { type CelType, celEnv, parse } from '@bufbuild/cel';

/**
 * Static checking of rule expressions. The CEL library parses and evaluates but does not
 * type-check, so this module does: every name, field, operator and function of a rule is
 * checked against the declared environment (`schema.ts`) before the rule is stored, and
 * each problem is reported with its line and column. A rule that would compare a string
 * with an int, or read a feature that does not exist, never reaches an event.
 */

export type ParsedExpr = ReturnType<typeof parse>;
export type Expr = ParsedExpr['expr'];

type ScalarKind =
  | 'bool'
  | 'int'
  | 'uint'
  | 'double'
  | 'bytes'
  | 'null'
  | 'dyn'
  | 'timestamp'
  | 'duration'
  | 'type'
  /** A sub-expression already reported: it matches anything so one mistake gives one message. */
  | 'error';

export interface StringType {
  readonly kind: 'string';
  /** The only values the string takes (an enumeration such as `event.type`). */
  readonly values?: readonly string[];
  /** Where the enumeration comes from, for messages (`event.type`). */
  readonly source?: string;
}
export interface ListType {
  readonly kind: 'list';
  readonly elem: CheckType;
}
export interface MapType {
  readonly kind: 'map';
  readonly key: CheckType;
  readonly value: CheckType;
}
/** A declared record (the event, a feature group): a map at run time with known fields. */
export interface StructType {
  readonly kind: 'struct';
  /** The path a rule reads it at (`features.customer`). */
  readonly path: string;
  readonly fields: ReadonlyMap<string, CheckType>;
}
export type CheckType = { readonly kind: ScalarKind } | StringType | ListType | MapType | StructType;

export const T = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  uint: { kind: 'uint' },
  double: { kind: 'double' },
  string: { kind: 'string' },
  bytes: { kind: 'bytes' },
  null: { kind: 'null' },
  dyn: { kind: 'dyn' },
  timestamp: { kind: 'timestamp' },
  duration: { kind: 'duration' },
  type: { kind: 'type' },
  error: { kind: 'error' },
} as const satisfies Record<string, CheckType>;

export const listOf = (elem: CheckType): ListType => ({ kind: 'list', elem });
export const mapOf = (key: CheckType, value: CheckType): MapType => ({ kind: 'map', key, value });

/** A problem in an expression, where it is (1-based line and column) and what it is. */
export interface CelIssue {
  line: number;
  column: number;
  message: string;
}

export interface CheckEnv {
  variables: ReadonlyMap<string, CheckType>;
}

export type CheckResult =
  | { ok: true; parsed: ParsedExpr; type: CheckType }
  | { ok: false; errors: CelIssue[] };

/** Nesting deeper than this is refused: no real rule needs it, and recursion must stay bounded. */
const MAX_DEPTH = 100;
/** At most this many problems are reported for one expression. */
const MAX_ISSUES = 20;

export function typeName(t: CheckType): string {
  switch (t.kind) {
    case 'list':
      return `list(${typeName(t.elem)})`;
    case 'map':
      return `map(${typeName(t.key)}, ${typeName(t.value)})`;
    case 'struct':
      return t.path;
    case 'null':
      return 'null';
    default:
      return t.kind;
  }
}

// ---------------------------------------------------------------------------------------
// Function signatures, taken from the evaluator's own function table so the checker
// accepts exactly the overloads that exist at run time.

interface Overload {
  target: CheckType | undefined;
  args: readonly CheckType[];
  result: CheckType;
}

function fromCel(t: CelType): CheckType {
  switch (t.kind) {
    case 'scalar':
      switch (t.scalar) {
        case 'null_type':
          return T.null;
        case 'int':
          return T.int;
        case 'uint':
          return T.uint;
        case 'double':
          return T.double;
        case 'bool':
          return T.bool;
        case 'string':
          return T.string;
        case 'bytes':
          return T.bytes;
        case 'type':
          return T.type;
        default:
          return T.dyn;
      }
    case 'list':
      return listOf(fromCel(t.element));
    case 'map':
      return mapOf(fromCel(t.key), fromCel(t.value));
    case 'object':
      if (t.name === 'google.protobuf.Timestamp') return T.timestamp;
      if (t.name === 'google.protobuf.Duration') return T.duration;
      return T.dyn;
  }
}

let overloadTable: Map<string, Overload[]> | undefined;

function overloads(name: string): Overload[] | undefined {
  if (!overloadTable) {
    overloadTable = new Map();
    for (const f of celEnv().funcs) {
      const list = overloadTable.get(f.name) ?? [];
      list.push({
        target: f.target ? fromCel(f.target) : undefined,
        args: f.arguments.map(fromCel),
        result: fromCel(f.result),
      });
      overloadTable.set(f.name, list);
    }
  }
  return overloadTable.get(name);
}

const isNumeric = (t: CheckType) => t.kind === 'int' || t.kind === 'uint' || t.kind === 'double';
const isLoose = (t: CheckType) => t.kind === 'dyn' || t.kind === 'error';

/** Whether a value of type `arg` may be passed where `param` is expected. */
function assignable(arg: CheckType, param: CheckType): boolean {
  if (isLoose(arg) || isLoose(param)) return true;
  if (param.kind === 'list') return arg.kind === 'list' && assignable(arg.elem, param.elem);
  if (param.kind === 'map') {
    // A declared record is a string-keyed map at run time.
    if (arg.kind === 'struct') return assignable(T.string, param.key);
    return arg.kind === 'map' && assignable(arg.key, param.key) && assignable(arg.value, param.value);
  }
  return arg.kind === param.kind;
}

/** Whether two values may be compared with == (CEL compares numbers across int, uint and double). */
function comparable(a: CheckType, b: CheckType): boolean {
  if (isLoose(a) || isLoose(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (a.kind === 'list' && b.kind === 'list') return comparable(a.elem, b.elem);
  if (a.kind === 'map' && b.kind === 'map') return comparable(a.key, b.key) && comparable(a.value, b.value);
  if (a.kind === 'struct' && b.kind === 'struct') return a.path === b.path;
  return a.kind === b.kind;
}

/** The type of a value that is either `a` or `b` (branches of ?:, list elements), if they agree. */
function join(a: CheckType, b: CheckType): CheckType | undefined {
  if (a.kind === 'error' || b.kind === 'error') return T.error;
  if (a.kind === 'dyn' || b.kind === 'dyn') return T.dyn;
  if (a.kind === 'list' && b.kind === 'list') {
    const elem = join(a.elem, b.elem);
    return elem ? listOf(elem) : undefined;
  }
  if (a.kind === 'map' && b.kind === 'map') {
    const key = join(a.key, b.key);
    const value = join(a.value, b.value);
    return key && value ? mapOf(key, value) : undefined;
  }
  if (a.kind === 'struct' && b.kind === 'struct') return a.path === b.path ? a : undefined;
  if (a.kind === 'string' && b.kind === 'string') return T.string;
  return a.kind === b.kind ? a : undefined;
}

const OPERATOR_NAMES: Record<string, string> = {
  '_+_': '+',
  '_-_': '-',
  '_*_': '*',
  '_/_': '/',
  '_%_': '%',
  '_<_': '<',
  '_<=_': '<=',
  '_>_': '>',
  '_>=_': '>=',
  '-_': 'unary -',
  '!_': '!',
};

// ---------------------------------------------------------------------------------------
// Syntax.

interface Located {
  offset: number;
  message: string;
}

/** 1-based line and column of a character offset. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSE: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
/** Tokens after which an expression cannot end. */
const DANGLING = new Set([
  '&&',
  '||',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '?',
  ':',
  '.',
  ',',
]);
const TWO_CHAR = new Set(['&&', '||', '==', '!=', '<=', '>=']);
const ONE_CHAR = new Set(['+', '-', '*', '/', '%', '<', '>', '!', '?', ':', '.', ',']);
const MISTAKES: Record<string, string> = {
  '=': "'=' is not an operator; compare with '=='",
  '&': "'&' is not an operator; use '&&'",
  '|': "'|' is not an operator; use '||'",
};

/**
 * A first pass over the text for the mistakes people make most (an unclosed bracket or
 * string, '=' for '==', a dangling operator), reported exactly where they are. The
 * parser's own messages point at where it gave up, which is often far from the cause.
 */
function scanSyntax(src: string): Located | undefined {
  const open: Array<{ ch: string; offset: number }> = [];
  let last: { text: string; offset: number } | undefined;
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src.charAt(i + 1) === '/') {
      while (i < src.length && src.charAt(i) !== '\n') i++;
      continue;
    }
    const start = i;
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 200));
    if (ident) {
      i += ident[0].length;
      const quote = src.charAt(i);
      if ((quote === '"' || quote === "'") && /^(?:[rR][bB]?|[bB][rR]?)$/.test(ident[0])) {
        const end = scanString(src, i, /[rR]/.test(ident[0]));
        if (end === undefined) return { offset: start, message: 'this string is never closed' };
        i = end;
        last = { text: 'string', offset: start };
        continue;
      }
      last = { text: ident[0], offset: start };
      continue;
    }
    if (c === '"' || c === "'") {
      const end = scanString(src, i, false);
      if (end === undefined) return { offset: start, message: 'this string is never closed' };
      i = end;
      last = { text: 'string', offset: start };
      continue;
    }
    if (/[0-9]/.test(c)) {
      const num = /^[0-9][0-9A-Za-z_.]*/.exec(src.slice(i, i + 100));
      i += num ? num[0].length : 1;
      last = { text: 'number', offset: start };
      continue;
    }
    const opener = OPEN[c];
    if (opener) {
      open.push({ ch: c, offset: i });
      i++;
      last = { text: c, offset: start };
      continue;
    }
    const closes = CLOSE[c];
    if (closes) {
      const top = open.pop();
      if (!top) return { offset: i, message: `'${c}' closes nothing: there is no open '${closes}'` };
      if (top.ch !== closes) {
        const where = lineColumn(src, top.offset);
        return {
          offset: i,
          message: `'${c}' does not match the '${top.ch}' opened at line ${where.line}, column ${where.column}`,
        };
      }
      if (last && DANGLING.has(last.text) && last.text !== ',') {
        return { offset: last.offset, message: `something is missing after '${last.text}'` };
      }
      i++;
      last = { text: c, offset: start };
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      i += 2;
      last = { text: two, offset: start };
      continue;
    }
    const mistake = MISTAKES[c];
    if (mistake) return { offset: i, message: mistake };
    if (ONE_CHAR.has(c)) {
      i++;
      last = { text: c, offset: start };
      continue;
    }
    return { offset: i, message: `unexpected character '${c}'` };
  }
  const unclosed = open.pop();
  if (unclosed) return { offset: unclosed.offset, message: `'${unclosed.ch}' is never closed` };
  if (!last) return { offset: 0, message: 'the expression is empty' };
  if (DANGLING.has(last.text)) {
    return { offset: last.offset, message: `the expression ends after '${last.text}'; something is missing` };
  }
  return undefined;
}

/** The offset just after a string literal starting at `i` (its quote), or undefined when it never ends. */
function scanString(src: string, i: number, raw: boolean): number | undefined {
  const triple = src.startsWith(src.charAt(i).repeat(3), i);
  const quote = triple ? src.charAt(i).repeat(3) : src.charAt(i);
  let j = i + quote.length;
  while (j < src.length) {
    const ch = src.charAt(j);
    if (!raw && ch === '\\') {
      j += 2;
      continue;
    }
    if (!triple && ch === '\n') return undefined;
    if (src.startsWith(quote, j)) return j + quote.length;
    j++;
  }
  return undefined;
}

interface PegError {
  message: string;
  location: { start: { offset: number } };
}

function isPegError(e: unknown): e is PegError {
  if (!(e instanceof Error) || !('location' in e)) return false;
  const loc = (e as { location: unknown }).location;
  if (typeof loc !== 'object' || loc === null || !('start' in loc)) return false;
  const start = (loc as { start: unknown }).start;
  return typeof start === 'object' && start !== null && 'offset' in start;
}

/** The parser's message without its `<input>:l:c:` prefix, and without a page-long list of expectations. */
function parserMessage(raw: string): string {
  const text = raw.replace(/^<input>:\d+:\d+:\s*/, '');
  const m = /^found (.+?) but expecting (.+)$/s.exec(text);
  if (!m) return `syntax error: ${text}`;
  const found = m[1] ?? '';
  const expected = m[2] ?? '';
  return expected.length <= 60
    ? `syntax error: unexpected ${found}; expected ${expected}`
    : `syntax error: unexpected ${found}`;
}

// ---------------------------------------------------------------------------------------
// The checker.

/**
 * Parses and type-checks an expression. Returns the parsed form (planned once by the
 * compiler) and its type, or every problem found with its position.
 */
export function checkExpression(source: string, env: CheckEnv): CheckResult {
  const scanned = scanSyntax(source);
  if (scanned)
    return { ok: false, errors: [{ ...lineColumn(source, scanned.offset), message: scanned.message }] };
  let parsed: ParsedExpr;
  try {
    parsed = parse(source);
  } catch (e) {
    if (isPegError(e)) {
      return {
        ok: false,
        errors: [{ ...lineColumn(source, e.location.start.offset), message: parserMessage(e.message) }],
      };
    }
    const message =
      e instanceof RangeError ? 'the expression is nested too deeply' : 'the expression cannot be parsed';
    return { ok: false, errors: [{ line: 1, column: 1, message }] };
  }
  const checker = new Checker(source, env, parsed.sourceInfo?.positions ?? {});
  const type = checker.expr(parsed.expr, 0);
  if (checker.issues.length === 0 && type.kind !== 'bool' && !isLoose(type)) {
    checker.report(parsed.expr, `a rule must be true or false, but this expression is ${typeName(type)}`);
  }
  if (checker.issues.length > 0) return { ok: false, errors: checker.issues };
  return { ok: true, parsed, type };
}

class Checker {
  readonly issues: CelIssue[] = [];
  private readonly scopes: Array<Map<string, CheckType>> = [];

  constructor(
    private readonly source: string,
    private readonly env: CheckEnv,
    private readonly positions: Readonly<Record<string, number>>,
  ) {}

  /** Records a problem at an expression (or just after a selecting dot) and types it as an error. */
  report(e: Expr, message: string, atField = false): CheckType {
    if (this.issues.length >= MAX_ISSUES) return T.error;
    let offset = this.positions[e.id.toString()] ?? 0;
    // Operators are placed at the space before them by the parser: point at the operator itself.
    while (offset < this.source.length && /\s/.test(this.source.charAt(offset))) offset++;
    if (atField && this.source.charAt(offset) === '.') offset++;
    const at = lineColumn(this.source, offset);
    // One message per place is enough.
    if (!this.issues.some((i) => i.line === at.line && i.column === at.column)) {
      this.issues.push({ ...at, message });
    }
    return T.error;
  }

  expr(e: Expr | undefined, depth: number): CheckType {
    if (!e) return T.error;
    if (depth > MAX_DEPTH) return this.report(e, 'the expression is nested too deeply');
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr':
        return this.constant(k.value.constantKind.case);
      case 'identExpr':
        return this.ident(e, k.value.name);
      case 'selectExpr':
        return this.select(e, k.value.operand, k.value.field, k.value.testOnly, depth);
      case 'callExpr':
        return this.call(e, k.value.function, k.value.target, k.value.args, depth);
      case 'listExpr':
        return this.list(k.value.elements, depth);
      case 'structExpr': {
        if (k.value.messageName !== '') {
          return this.report(e, `creating '${k.value.messageName}' objects is not supported in rules`);
        }
        let key: CheckType | undefined;
        let value: CheckType | undefined;
        for (const entry of k.value.entries) {
          if (entry.keyKind.case !== 'mapKey') return this.report(e, 'a map literal needs keys');
          const kt = this.expr(entry.keyKind.value, depth + 1);
          const vt = this.expr(entry.value, depth + 1);
          key = key ? join(key, kt) : kt;
          value = value ? join(value, vt) : vt;
          if (!key || !value) return this.report(e, 'the keys or values of this map have different types');
        }
        return mapOf(key ?? T.dyn, value ?? T.dyn);
      }
      case 'comprehensionExpr':
        return this.comprehension(e, k.value, depth);
      default:
        return this.report(e, 'unsupported expression');
    }
  }

  private constant(kind: string | undefined): CheckType {
    switch (kind) {
      case 'boolValue':
        return T.bool;
      case 'int64Value':
        return T.int;
      case 'uint64Value':
        return T.uint;
      case 'doubleValue':
        return T.double;
      case 'stringValue':
        return T.string;
      case 'bytesValue':
        return T.bytes;
      case 'nullValue':
        return T.null;
      case 'durationValue':
        return T.duration;
      case 'timestampValue':
        return T.timestamp;
      default:
        return T.error;
    }
  }

  private ident(e: Expr, name: string): CheckType {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]?.get(name);
      if (t) return t;
    }
    const t = this.env.variables.get(name);
    if (t) return t;
    const known = [...this.env.variables.keys()];
    const near = nearest(name, known);
    return this.report(
      e,
      `unknown name '${name}'${near ? `; did you mean '${near}'?` : `; rules can use ${known.join(', ')}`}`,
    );
  }

  private select(
    e: Expr,
    operand: Expr | undefined,
    field: string,
    testOnly: boolean,
    depth: number,
  ): CheckType {
    const t = this.expr(operand, depth + 1);
    const fieldType = this.fieldOf(e, t, field);
    if (testOnly) return fieldType.kind === 'error' ? T.error : T.bool;
    return fieldType;
  }

  /** The type of `field` read from a value of type `t`, reporting a field that does not exist. */
  private fieldOf(e: Expr, t: CheckType, field: string): CheckType {
    switch (t.kind) {
      case 'error':
        return T.error;
      case 'dyn':
        return T.dyn;
      case 'map':
        if (!assignable(T.string, t.key)) {
          return this.report(
            e,
            `cannot read '.${field}' from ${typeName(t)}: its keys are not strings`,
            true,
          );
        }
        return t.value;
      case 'struct': {
        const f = t.fields.get(field);
        if (f) return f;
        const names = [...t.fields.keys()];
        const near = nearest(field, names);
        const hint = near ? `; did you mean '${near}'?` : `; known: ${names.join(', ')}`;
        const what = t.path.startsWith('features')
          ? `unknown feature '${t.path}.${field}'`
          : `'${t.path}' has no field '${field}'`;
        return this.report(e, `${what}${hint}`, true);
      }
      default:
        return this.report(e, `cannot read '.${field}' from a value of type ${typeName(t)}`, true);
    }
  }

  private list(elements: Expr[], depth: number): CheckType {
    let elem: CheckType | undefined;
    for (const el of elements) {
      const t = this.expr(el, depth + 1);
      if (!elem) {
        elem = t;
        continue;
      }
      const joined = join(elem, t);
      if (!joined) {
        return this.report(
          el,
          `list elements must have one type: ${typeName(elem)} and ${typeName(t)} are mixed`,
        );
      }
      elem = joined;
    }
    // An empty list takes any element type.
    return listOf(elem ?? T.dyn);
  }

  private comprehension(
    e: Expr,
    c: Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'],
    depth: number,
  ): CheckType {
    const range = this.expr(c.iterRange, depth + 1);
    let first: CheckType;
    let second: CheckType | undefined;
    switch (range.kind) {
      case 'list':
        first = c.iterVar2 ? T.int : range.elem;
        second = c.iterVar2 ? range.elem : undefined;
        break;
      case 'map':
        first = range.key;
        second = c.iterVar2 ? range.value : undefined;
        break;
      case 'struct':
        first = T.string;
        second = c.iterVar2 ? T.dyn : undefined;
        break;
      case 'dyn':
      case 'error':
        first = range;
        second = c.iterVar2 ? range : undefined;
        break;
      default:
        return this.report(e, `cannot iterate over a value of type ${typeName(range)}`);
    }
    const accu = this.expr(c.accuInit, depth + 1);
    const scope = new Map<string, CheckType>([[c.accuVar, accu]]);
    scope.set(c.iterVar, first);
    if (c.iterVar2 && second) scope.set(c.iterVar2, second);
    this.scopes.push(scope);
    try {
      const condition = this.expr(c.loopCondition, depth + 1);
      if (condition.kind !== 'bool' && !isLoose(condition)) {
        this.report(e, `the condition must be true or false, not ${typeName(condition)}`);
      }
      const step = this.expr(c.loopStep, depth + 1);
      const joined = join(accu, step);
      if (!joined) return this.report(e, `this macro's step gives ${typeName(step)}, not ${typeName(accu)}`);
      scope.set(c.accuVar, joined);
      return this.expr(c.result, depth + 1);
    } finally {
      this.scopes.pop();
    }
  }

  private call(e: Expr, fn: string, target: Expr | undefined, args: Expr[], depth: number): CheckType {
    switch (fn) {
      case '_&&_':
      case '_||_':
      case '@not_strictly_false': {
        const op = fn === '_&&_' ? '&&' : fn === '_||_' ? '||' : 'the macro';
        for (const a of args) {
          const t = this.expr(a, depth + 1);
          if (t.kind !== 'bool' && !isLoose(t)) {
            this.report(a, `'${op}' needs true or false on both sides, but this is ${typeName(t)}`);
          }
        }
        return T.bool;
      }
      case '_?_:_': {
        const [cond, yes, no] = args;
        const ct = this.expr(cond, depth + 1);
        if (cond && ct.kind !== 'bool' && !isLoose(ct)) {
          this.report(cond, `the condition of '?:' must be true or false, not ${typeName(ct)}`);
        }
        const a = this.expr(yes, depth + 1);
        const b = this.expr(no, depth + 1);
        const joined = join(a, b);
        if (!joined) {
          return this.report(
            e,
            `the two branches of '?:' have different types: ${typeName(a)} and ${typeName(b)}`,
          );
        }
        return joined;
      }
      case '_==_':
      case '_!=_':
        return this.equality(e, fn === '_==_' ? '==' : '!=', args, depth);
      case '@in':
        return this.membership(e, args, depth);
      case '_[_]':
        return this.index(e, args, depth);
    }
    const targetType = target ? this.expr(target, depth + 1) : undefined;
    const argTypes = args.map((a) => this.expr(a, depth + 1));
    const candidates = overloads(fn);
    if (!candidates) {
      return this.report(e, `unknown function '${fn}'`);
    }
    if (targetType?.kind === 'error' || argTypes.some((t) => t.kind === 'error')) return T.error;
    const matching = candidates.filter(
      (o) =>
        (o.target === undefined) === (targetType === undefined) &&
        (!o.target || !targetType || assignable(targetType, o.target)) &&
        o.args.length === argTypes.length &&
        o.args.every((p, i) => {
          const a = argTypes[i];
          return a !== undefined && assignable(a, p);
        }),
    );
    const first = matching[0];
    if (!first) return this.report(e, this.noOverload(fn, targetType, argTypes));
    // Several overloads fit when an argument is dyn: the result is known only if they agree.
    const result = first.result;
    return matching.every((o) => typeName(o.result) === typeName(result)) ? result : T.dyn;
  }

  private noOverload(fn: string, target: CheckType | undefined, args: CheckType[]): string {
    const op = OPERATOR_NAMES[fn];
    const names = args.map(typeName);
    if (op && args.length === 2) {
      const verb = ['<', '<=', '>', '>='].includes(op) ? 'compare' : 'apply';
      return verb === 'compare'
        ? `cannot compare ${names[0]} with ${names[1]} using '${op}'`
        : `'${op}' cannot be applied to ${names[0]} and ${names[1]}`;
    }
    if (op) return `'${op}' cannot be applied to ${names.join(', ')}`;
    if (target) return `'${fn}' cannot be called on ${typeName(target)} with (${names.join(', ')})`;
    return `'${fn}' cannot be called with (${names.join(', ')})`;
  }

  private equality(e: Expr, op: string, args: Expr[], depth: number): CheckType {
    const [left, right] = args;
    const a = this.expr(left, depth + 1);
    const b = this.expr(right, depth + 1);
    if (a.kind === 'null' || b.kind === 'null') {
      if (!isLoose(a) && !isLoose(b)) {
        return this.report(e, `a value is never null here; use has(...) to test whether it is present`);
      }
      return T.bool;
    }
    if (!comparable(a, b))
      return this.report(e, `cannot compare ${typeName(a)} with ${typeName(b)} using '${op}'`);
    if (right) this.enumValue(a, right);
    if (left) this.enumValue(b, left);
    return T.bool;
  }

  private membership(e: Expr, args: Expr[], depth: number): CheckType {
    const [item, collection] = args;
    const a = this.expr(item, depth + 1);
    const c = this.expr(collection, depth + 1);
    if (isLoose(a) || isLoose(c)) return T.bool;
    if (c.kind === 'list') {
      if (!comparable(a, c.elem)) {
        return this.report(e, `cannot look for ${typeName(a)} in ${typeName(c)}`);
      }
      if (collection?.exprKind.case === 'listExpr') {
        for (const el of collection.exprKind.value.elements) this.enumValue(a, el);
      }
      return T.bool;
    }
    if (c.kind === 'map' || c.kind === 'struct') {
      const key = c.kind === 'map' ? c.key : T.string;
      if (!comparable(a, key))
        return this.report(e, `cannot look for ${typeName(a)} among ${typeName(key)} keys`);
      return T.bool;
    }
    return this.report(e, `'in' needs a list or a map on its right, not ${typeName(c)}`);
  }

  private index(e: Expr, args: Expr[], depth: number): CheckType {
    const [operand, key] = args;
    const t = this.expr(operand, depth + 1);
    const k = this.expr(key, depth + 1);
    if (isLoose(t)) return T.dyn;
    if (t.kind === 'list') {
      if (k.kind !== 'int' && k.kind !== 'uint' && !isLoose(k)) {
        return this.report(e, `a list is indexed by int, not ${typeName(k)}`);
      }
      return t.elem;
    }
    if (t.kind === 'map') {
      if (!comparable(k, t.key))
        return this.report(e, `${typeName(t)} has ${typeName(t.key)} keys, not ${typeName(k)}`);
      return t.value;
    }
    if (t.kind === 'struct') {
      const constant = key?.exprKind.case === 'constExpr' ? key.exprKind.value.constantKind : undefined;
      if (constant?.case === 'stringValue') return this.fieldOf(e, t, constant.value);
      if (k.kind !== 'string' && !isLoose(k))
        return this.report(e, `${t.path} is indexed by name, not ${typeName(k)}`);
      return T.dyn;
    }
    return this.report(e, `a value of type ${typeName(t)} cannot be indexed`);
  }

  /** A string literal compared with an enumerated field must be one of its values. */
  private enumValue(t: CheckType, other: Expr): void {
    if (t.kind !== 'string' || !t.values) return;
    const k = other.exprKind;
    if (k.case !== 'constExpr' || k.value.constantKind.case !== 'stringValue') return;
    const value = k.value.constantKind.value;
    if (t.values.includes(value)) return;
    const near = nearest(value, t.values);
    this.report(
      other,
      `'${value}' is not a value of ${t.source ?? 'this field'}${near ? `; did you mean '${near}'?` : `; it is one of ${t.values.join(', ')}`}`,
    );
  }
}

/** The closest of `names` to `word` when it is close enough to be a likely typo. */
function nearest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const n of names) {
    const name = n.toLowerCase();
    // One being the start of the other (`accountAge`, `isNewish`) is as likely a slip as a typo.
    const prefix =
      Math.min(name.length, lower.length) >= 3 && (name.startsWith(lower) || lower.startsWith(name));
    const d = prefix ? 1 : distance(lower, name);
    if (d < bestDistance) {
      bestDistance = d;
      best = n;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edit distance (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
