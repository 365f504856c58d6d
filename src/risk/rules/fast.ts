import { type CelError, celEnv, celError, isCelError, isCelList, isCelUint, plan } from '@bufbuild/cel';
import { type CheckType, type Expr, listOf, type ParsedExpr, type StructType, T, typeName } from './check.ts';
import { FEATURES, type FeatureDef } from './features.ts';
import {
  bindingsOf,
  type FeatureValues,
  featureValue,
  type InputError,
  RULE_ENV,
  type RuleBindings,
  type RuleEvent,
} from './schema.ts';

/**
 * The fast path of rule evaluation: a checked CEL expression compiled once into plain
 * JavaScript closures over a flat array of the event's values, with exactly the
 * semantics of @bufbuild/cel's interpreter for the subset compiled here. The
 * interpreter stays the reference (the differential tests compare both on every
 * construct) and the fallback: `compileFast` returns undefined for anything it does not
 * compile, and the caller plans the expression with the interpreter instead.
 *
 * Values at run time: int and uint are bigints, double a number, string and bool as
 * themselves, timestamps and durations bigint nanoseconds, lists arrays. The static
 * type of every node is known at compile time (the environment is fully declared and
 * the bindings are validated against it), so each operation is chosen once, as the
 * interpreter's overload resolution would choose it on those values. Errors are CEL
 * error values; those that do not depend on the event are made once, at compile time.
 */

// ---------------------------------------------------------------------------------------
// Bindings: one slot per path of the environment (`event.geo.country`, `features.payee.isNew`).

/** What the compiled rules read: the environment's values by slot, undefined when absent. */
export interface FastBindings {
  readonly slots: readonly unknown[];
}

interface Slot {
  index: number;
  type: CheckType;
  /** The engine always gives it (bindingsOf): reading it never fails. */
  always: boolean;
}

/** Event fields bindingsOf always sets; the others are absent when the event does not give them. */
const REQUIRED_EVENT_FIELDS = new Set(['type', 'customerId', 'amount', 'hour', 'at']);

const SLOTS = new Map<string, Slot>();

function layOut(path: string, type: CheckType, always: boolean): void {
  SLOTS.set(path, { index: SLOTS.size, type, always });
  if (type.kind !== 'struct') return;
  for (const [name, fieldType] of type.fields) {
    // Every feature group is present, even empty; feature values and optional event fields may not be.
    const required =
      path === 'event'
        ? REQUIRED_EVENT_FIELDS.has(name)
        : path.startsWith('features') && fieldType.kind === 'struct';
    layOut(`${path}.${name}`, fieldType, required);
  }
}
for (const [name, type] of RULE_ENV.variables) layOut(name, type, true);

function slotOf(path: string): number {
  const slot = SLOTS.get(path);
  if (!slot) throw new Error(`the environment declares no ${path}`);
  return slot.index;
}

const S = {
  type: slotOf('event.type'),
  customerId: slotOf('event.customerId'),
  counterpartyId: slotOf('event.counterpartyId'),
  eventAmount: slotOf('event.amount'),
  currency: slotOf('event.currency'),
  channel: slotOf('event.channel'),
  deviceId: slotOf('event.deviceId'),
  ip: slotOf('event.ip'),
  geo: slotOf('event.geo'),
  country: slotOf('event.geo.country'),
  region: slotOf('event.geo.region'),
  lat: slotOf('event.geo.lat'),
  lon: slotOf('event.geo.lon'),
  hour: slotOf('event.hour'),
  at: slotOf('event.at'),
  amount: slotOf('amount'),
  now: slotOf('now'),
};

/** Registry features by name, with the slot each one is read from. */
const FEATURE_SLOTS = new Map(
  FEATURES.map((def) => [def.name, { def, index: slotOf(`features.${def.name}`) }]),
);

/** All slots absent; copied per evaluation (a packed array of one shape, so reads stay fast). */
const EMPTY_SLOTS: readonly unknown[] = Array.from({ length: SLOTS.size }, () => undefined);

/** The interval a CEL timestamp covers, in milliseconds (0001-01-01 to 9999-12-31). */
const TIMESTAMP_MS_MIN = -62_135_596_800_000;
const TIMESTAMP_MS_MAX = 253_402_300_799_999;

/** A date as milliseconds (timestamp slots hold these), refused where bindingsOf refuses it. */
function timestampMs(d: Date): number {
  const ms = d.getTime();
  if (ms >= TIMESTAMP_MS_MIN && ms <= TIMESTAMP_MS_MAX) return ms;
  throw new Error(`cannot represent ${d.toISOString()} as a timestamp`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type Leaf = bigint | number | boolean | string;

/**
 * The fast bindings of an evaluation, built once for all its rules: the same values and
 * the same input errors as `bindingsOf` (unknown features and values that do not fit
 * are left out and reported; absent optional fields stay absent).
 */
export function fastBindingsOf(
  event: RuleEvent,
  features: FeatureValues,
  at: Date,
  localOffsetMinutes: number,
): { bindings: FastBindings; inputErrors: InputError[] } {
  const inputErrors: InputError[] = [];
  const s = EMPTY_SLOTS.slice();
  const amount = event.amountMinor ?? 0n;
  const when = event.at ?? at;
  // getUTCHours of the shifted time, by its definition in ECMAScript (HourFromTime), without a Date.
  const hour = event.hour ?? utcHour(when.getTime() + localOffsetMinutes * 60_000);
  s[S.type] = event.type;
  s[S.customerId] = event.customerId;
  s[S.eventAmount] = amount;
  s[S.hour] = BigInt(hour);
  s[S.at] = timestampMs(when);
  s[S.counterpartyId] = event.counterpartyId;
  s[S.currency] = event.currency;
  s[S.channel] = event.channel;
  s[S.deviceId] = event.deviceId;
  s[S.ip] = event.ip;
  const geo = event.geo;
  if (geo) {
    s[S.geo] = true;
    s[S.country] = geo.country;
    s[S.region] = geo.region;
    s[S.lat] = geo.lat;
    s[S.lon] = geo.lon;
  }
  // Object.keys, not Object.entries: the same names in the same order, without a pair per name.
  const names = Object.keys(features);
  for (let n = 0; n < names.length; n++) {
    const name = names[n] as string;
    const raw = features[name] as FeatureValues[string];
    const entry = FEATURE_SLOTS.get(name);
    if (!entry) {
      inputErrors.push({ field: `features.${name}`, message: 'no such feature in the registry' });
      continue;
    }
    const value = featureValue(entry.def.type, raw);
    if (typeof value === 'object') {
      inputErrors.push({ field: `features.${name}`, message: value.error });
      continue;
    }
    if (!fitsValues(entry.def, value)) {
      inputErrors.push({
        field: `features.${name}`,
        message: `one of ${entry.def.values?.join(', ')} is expected`,
      });
      continue;
    }
    s[entry.index] = value;
  }
  s[S.amount] = amount;
  s[S.now] = timestampMs(at);
  return { bindings: { slots: s }, inputErrors };
}

const MS_PER_HOUR = 3_600_000;
function utcHour(ms: number): number {
  return ((Math.floor(ms / MS_PER_HOUR) % 24) + 24) % 24;
}

function fitsValues(def: FeatureDef, value: Leaf): boolean {
  return !def.values || typeof value !== 'string' || def.values.includes(value);
}

/**
 * The inputs of one evaluation: the fast bindings, built at once, and the interpreter's
 * CEL bindings, built only if a rule of the set needs the interpreter.
 */
export class RuleInputs {
  readonly fast: FastBindings;
  readonly inputErrors: InputError[];
  private celBindings: RuleBindings | undefined;

  constructor(
    private readonly event: RuleEvent,
    private readonly features: FeatureValues,
    private readonly at: Date,
    private readonly localOffsetMinutes: number,
  ) {
    const { bindings, inputErrors } = fastBindingsOf(event, features, at, localOffsetMinutes);
    this.fast = bindings;
    this.inputErrors = inputErrors;
  }

  /** The interpreter's bindings, converted on first use. */
  cel(): RuleBindings {
    this.celBindings ??= bindingsOf(this.event, this.features, this.at, this.localOffsetMinutes).bindings;
    return this.celBindings;
  }
}

// ---------------------------------------------------------------------------------------
// Run-time helpers, each the interpreter's own rule for the operation.

/** A compiled rule: true, false or the CEL error the interpreter would give. */
export type FastProgram = (bindings: FastBindings) => boolean | CelError;

type Fn = (b: FastBindings) => unknown;

const isErr = (v: unknown): v is CelError => v instanceof Error;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const TIMESTAMP_S_MIN = -62135596800n;
const TIMESTAMP_S_MAX = 253402300799n;

function intResult(v: bigint, error: CelError): bigint | CelError {
  return v < INT64_MIN || v > INT64_MAX ? error : v;
}
function uintResult(v: bigint, error: CelError): bigint | CelError {
  return v < 0n || v > UINT64_MAX ? error : v;
}
/** Seconds of a timestamp (floored: its nanos are never negative). */
function timestampSeconds(ns: bigint): bigint {
  const s = ns / NS_PER_S;
  return ns % NS_PER_S < 0n ? s - 1n : s;
}
const TIMESTAMP_RANGE = celError('timestamp out of range');
const DURATION_RANGE = celError('duration out of range');
function timestampResult(ns: bigint): bigint | CelError {
  const s = timestampSeconds(ns);
  return s < TIMESTAMP_S_MIN || s > TIMESTAMP_S_MAX ? TIMESTAMP_RANGE : ns;
}
function durationResult(ns: bigint): bigint | CelError {
  return ns < INT64_MIN || ns > INT64_MAX ? DURATION_RANGE : ns;
}

/** A string's length in code points, as `[...s].length`. */
function codePoints(s: string): bigint {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return BigInt(n);
}

/** The interpreter's conversion of a thrown value to a CEL error. */
function thrown(e: unknown): CelError {
  return celError(e);
}

const INT_CONVERSION = celError('int overflow during type conversion');
const UINT_CONVERSION = celError('uint overflow during type conversion');

/** int(double), as the interpreter's safeInt. */
function intOfDouble(x: number): bigint | CelError {
  if (Number.isFinite(x) && x > Number(INT64_MIN) && x < Number(INT64_MAX)) return BigInt(Math.trunc(x));
  return INT_CONVERSION;
}
/** int(string): JavaScript's BigInt parsing, then the int64 range. */
function intOfString(x: string): bigint | CelError {
  let n: bigint;
  try {
    n = BigInt(x);
  } catch (e) {
    return thrown(e);
  }
  return intResult(n, INT_CONVERSION);
}
function uintOfDouble(x: number): bigint | CelError {
  if (!Number.isFinite(x)) return UINT_CONVERSION;
  const n = BigInt(Math.trunc(x));
  return x >= 0 && n <= UINT64_MAX ? n : UINT_CONVERSION;
}
function uintOfString(x: string): bigint | CelError {
  let n: bigint;
  try {
    n = BigInt(x);
  } catch (e) {
    return thrown(e);
  }
  return uintResult(n, UINT_CONVERSION);
}
function boolOfString(x: string): boolean | CelError {
  switch (x) {
    case 'true':
    case 'True':
    case 'TRUE':
    case 't':
    case '1':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
    case 'f':
    case '0':
      return false;
  }
  return celError(`Unable to convert string '${x}' to bool`);
}

/** The calendar view of a timestamp the interpreter's time methods read (its `convertToDate`). */
function dateOf(ns: bigint, tz: string | undefined): Date {
  const seconds = timestampSeconds(ns);
  const nanos = Number(ns - seconds * NS_PER_S);
  let val = new Date(Number(seconds) * 1000 + Math.round(nanos / 1000000));
  if (tz === undefined) return localView(val);
  const offset = /^(?<sign>[+-]?)(?<hours>\d\d):(?<minutes>\d\d)$/.exec(tz);
  if (offset?.groups) {
    const sign = offset.groups.sign === '-' ? 1 : -1;
    const hours = Number.parseInt(offset.groups.hours ?? '0', 10);
    const minutes = Number.parseInt(offset.groups.minutes ?? '0', 10);
    val = new Date(val.getTime() - sign * (hours * 60 * 60 * 1000 + minutes * 60 * 1000));
    return localView(val);
  }
  const format = new Intl.DateTimeFormat('en-US', {
    hourCycle: 'h23',
    hour12: false,
    timeZone: tz,
    year: 'numeric',
    month: 'numeric',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(val)) parts[part.type] = Number.parseInt(part.value, 10);
  const { year, month, day, hour, minute, second } = parts;
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    throw new Error(`Error converting timestamp to IANA timezone ${tz}`);
  }
  return new Date(year, month - 1, day, hour, minute, second, val.getUTCMilliseconds());
}
function localView(d: Date): Date {
  return new Date(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}
function dayOfYear(date: Date): number {
  const start = new Date(0, 0, 1);
  start.setFullYear(date.getFullYear());
  return Math.floor((date.getTime() - start.getTime()) / (1000 * 60 * 60 * 24));
}
const TIMESTAMP_PARTS: Record<string, (d: Date) => number> = {
  getFullYear: (d) => d.getFullYear(),
  getMonth: (d) => d.getMonth(),
  getDate: (d) => d.getDate(),
  getDayOfMonth: (d) => d.getDate() - 1,
  getDayOfWeek: (d) => d.getDay(),
  getDayOfYear: dayOfYear,
  getSeconds: (d) => d.getSeconds(),
  getMinutes: (d) => d.getMinutes(),
  getHours: (d) => d.getHours(),
  getMilliseconds: (d) => d.getMilliseconds(),
};
function timestampPart(part: (d: Date) => number, ns: bigint, tz: string | undefined): bigint | CelError {
  try {
    return BigInt(part(dateOf(ns, tz)));
  } catch (e) {
    return thrown(e);
  }
}
const DURATION_PARTS: Record<string, (ns: bigint) => bigint> = {
  getSeconds: (ns) => ns / NS_PER_S,
  getMinutes: (ns) => ns / NS_PER_S / 60n,
  getHours: (ns) => ns / NS_PER_S / 3600n,
  getMilliseconds: (ns) => (ns % NS_PER_S) / 1_000_000n,
};

// ---------------------------------------------------------------------------------------
// The compiler.

/** A value-producing node: its static type, its closure, and whether it can give an error. */
interface ValueNode {
  readonly kind: 'value';
  /** Never a struct; `error` when the node always gives an error. */
  readonly type: CheckType;
  readonly fn: Fn;
  readonly fails: boolean;
  /** Present when the value is known at compile time. */
  readonly constant?: { readonly value: unknown };
  /** The operands of an && (or ||) chain, for flattening nested ones. */
  readonly chain?: { readonly and: boolean; readonly fns: readonly Fn[] };
  /** A plain read of a slot (its error when absent), for fusing the read into a comparison. */
  readonly read?: SlotRead;
}

interface SlotRead {
  readonly index: number;
  readonly missing: CelError;
}

/** A slot compared with a literal in one closure: the commonest shape of a rule's condition. */
function fusedComparison(fn: string, read: SlotRead, y: unknown): Fn | undefined {
  const { index: i, missing } = read;
  switch (fn) {
    case '_==_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : x === y;
      };
    case '_!=_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : x !== y;
      };
  }
  if (typeof y !== 'number' && typeof y !== 'bigint') return undefined;
  switch (fn) {
    case '_<_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : (x as Num) < y;
      };
    case '_<=_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : (x as Num) <= y;
      };
    case '_>_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : (x as Num) > y;
      };
    case '_>=_':
      return (b) => {
        const x = b.slots[i];
        return x === undefined ? missing : (x as Num) >= y;
      };
  }
  return undefined;
}

/** A declared record (event, event.geo, a feature group): only selected from or tested with has(). */
interface StructNode {
  readonly kind: 'struct';
  readonly type: StructType;
  readonly path: string;
  /** The error to give when the record is absent on this event (event.geo), else undefined. */
  readonly check: ((b: FastBindings) => CelError | undefined) | undefined;
}

type Node = ValueNode | StructNode;

const MAX_DEPTH = 100;
const env = celEnv();
const MATCHES = env.funcs.find('matches');

function valueNode(type: CheckType, fn: Fn, fails: boolean): ValueNode {
  return { kind: 'value', type, fn, fails };
}
function constantNode(type: CheckType, value: unknown): ValueNode {
  return { kind: 'value', type, fn: () => value, fails: false, constant: { value } };
}
function errorNode(error: CelError): ValueNode {
  return { kind: 'value', type: T.error, fn: () => error, fails: true };
}

const isInt = (t: CheckType) => t.kind === 'int' || t.kind === 'uint';
const isNumber = (t: CheckType) => isInt(t) || t.kind === 'double';
/** Types whose values are bigints at run time. */
const isBig = (t: CheckType) =>
  t.kind === 'int' || t.kind === 'uint' || t.kind === 'timestamp' || t.kind === 'duration';
const sameType = (a: CheckType, b: CheckType) => typeName(a) === typeName(b);

/** Equality as the interpreter's `equals`, for values of these static types; undefined when not compiled. */
function equality(a: CheckType, b: CheckType): ((x: unknown, y: unknown) => boolean) | undefined {
  if (isNumber(a) && isNumber(b)) {
    // int, uint and double compare by value across types; NaN equals nothing.
    // biome-ignore lint/suspicious/noDoubleEquals: loose equality compares a bigint and a number exactly.
    return a.kind === 'double' && b.kind === 'double' ? (x, y) => x === y : (x, y) => x == y;
  }
  if (a.kind === 'list' && b.kind === 'list') {
    const elem = a.elem.kind === 'dyn' || b.elem.kind === 'dyn' ? () => false : equality(a.elem, b.elem);
    if (!elem) return undefined;
    return (x, y) => {
      const l = x as readonly unknown[];
      const r = y as readonly unknown[];
      if (l.length !== r.length) return false;
      for (let i = 0; i < l.length; i++) if (!elem(l[i], r[i])) return false;
      return true;
    };
  }
  const simple = ['bool', 'string', 'null', 'timestamp', 'duration', 'int', 'uint', 'double', 'list'];
  if (!simple.includes(a.kind) || !simple.includes(b.kind)) return undefined;
  // Values of different types are never equal.
  return a.kind === b.kind ? (x, y) => x === y : () => false;
}

type Num = number | bigint;
type Rel = (x: Num, y: Num) => boolean;
const RELATIONS: Record<string, Rel> = {
  '_<_': (x, y) => x < y,
  '_<=_': (x, y) => x <= y,
  '_>_': (x, y) => x > y,
  '_>=_': (x, y) => x >= y,
};
type StrRel = (x: string, y: string) => boolean;
const STRING_RELATIONS: Record<string, StrRel> = {
  '_<_': (x, y) => x < y,
  '_<=_': (x, y) => x <= y,
  '_>_': (x, y) => x > y,
  '_>=_': (x, y) => x >= y,
};

/** Reads a local (a comprehension's variable) from the program's frame. */
interface Local {
  index: number;
  type: CheckType;
  fails: boolean;
}

class Compiler {
  /** The program's comprehension variables: a program is never evaluated re-entrantly. */
  readonly locals: unknown[] = [];
  private readonly scopes: Array<Map<string, Local>> = [];

  node(e: Expr | undefined, depth: number): Node | undefined {
    if (!e || depth > MAX_DEPTH) return undefined;
    const k = e.exprKind;
    if (k.case !== 'constExpr' && k.case !== 'identExpr' && closed(e, [])) return fold(e);
    switch (k.case) {
      case 'constExpr':
        return literal(k.value.constantKind);
      case 'identExpr':
        return this.ident(k.value.name);
      case 'selectExpr':
        return this.select(k.value.operand, k.value.field, k.value.testOnly, depth);
      case 'callExpr':
        return this.call(e, k.value.function, k.value.target, k.value.args, depth);
      case 'listExpr':
        return this.list(k.value.elements, depth);
      case 'comprehensionExpr':
        return this.comprehension(k.value, depth);
      default:
        return undefined;
    }
  }

  value(e: Expr | undefined, depth: number): ValueNode | undefined {
    const n = this.node(e, depth);
    return n?.kind === 'value' ? n : undefined;
  }

  private ident(name: string): Node | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const local = this.scopes[i]?.get(name);
      if (local) {
        const { index, type, fails } = local;
        const locals = this.locals;
        return valueNode(type, () => locals[index], fails);
      }
    }
    const t = RULE_ENV.variables.get(name);
    if (!t) return undefined;
    if (t.kind === 'struct') return { kind: 'struct', type: t, path: name, check: undefined };
    return readSlot(name, t, undefined, name);
  }

  private select(
    operand: Expr | undefined,
    field: string,
    testOnly: boolean,
    depth: number,
  ): Node | undefined {
    const op = this.node(operand, depth + 1);
    if (op?.kind !== 'struct') return undefined;
    const fieldType = op.type.fields.get(field);
    const path = `${op.path}.${field}`;
    const slot = SLOTS.get(path);
    if (!fieldType || !slot) return undefined;
    const parent = op.check;
    const i = slot.index;
    if (testOnly) {
      if (slot.always)
        return parent ? valueNode(T.bool, (b) => parent(b) ?? true, true) : constantNode(T.bool, true);
      return parent
        ? valueNode(T.bool, (b) => parent(b) ?? b.slots[i] !== undefined, true)
        : valueNode(T.bool, (b) => b.slots[i] !== undefined, false);
    }
    if (fieldType.kind === 'struct') {
      const missing = celError(`field not found: ${field}`);
      const own = slot.always
        ? undefined
        : (b: FastBindings) => (b.slots[i] === undefined ? missing : undefined);
      const check =
        parent && own ? (b: FastBindings) => parent(b) ?? own(b) : parent ? parent : own ? own : undefined;
      return { kind: 'struct', type: fieldType, path, check };
    }
    return readSlot(path, fieldType, parent, field);
  }

  private list(elements: Expr[], depth: number): ValueNode | undefined {
    const nodes: ValueNode[] = [];
    for (const el of elements) {
      const n = this.value(el, depth + 1);
      if (!n || n.type.kind === 'error') return undefined;
      if (nodes[0] && !sameType(nodes[0].type, n.type)) return undefined;
      nodes.push(n);
    }
    const fns = nodes.map((n) => n.fn);
    const type = listOf(nodes[0]?.type ?? T.dyn);
    return valueNode(
      type,
      (b) => {
        const out: unknown[] = [];
        for (const f of fns) {
          const v = f(b);
          if (isErr(v)) return v;
          out.push(v);
        }
        return out;
      },
      nodes.some((n) => n.fails),
    );
  }

  private comprehension(
    c: Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'],
    depth: number,
  ): ValueNode | undefined {
    if (c.iterVar2 !== '') return undefined;
    const range = this.value(c.iterRange, depth + 1);
    const init = this.value(c.accuInit, depth + 1);
    if (range?.type.kind !== 'list' || !init || init.type.kind === 'error') return undefined;
    const iterIndex = this.locals.length;
    const accuIndex = iterIndex + 1;
    this.locals.push(undefined, undefined);
    let accuType = init.type;
    let cond: ValueNode | undefined;
    let step: ValueNode | undefined;
    // A list accumulator starts empty (element type unknown); its step tells the element type.
    for (let attempt = 0; ; attempt++) {
      this.scopes.push(
        new Map([
          [c.accuVar, { index: accuIndex, type: accuType, fails: true }],
          [c.iterVar, { index: iterIndex, type: range.type.elem, fails: false }],
        ]),
      );
      cond = this.value(c.loopCondition, depth + 1);
      step = this.value(c.loopStep, depth + 1);
      this.scopes.pop();
      if (!cond || !step || (cond.type.kind !== 'bool' && cond.type.kind !== 'error')) return undefined;
      if (sameType(step.type, accuType)) break;
      const widens = accuType.kind === 'list' && accuType.elem.kind === 'dyn' && step.type.kind === 'list';
      if (attempt > 0 || !widens) return undefined;
      accuType = step.type;
    }
    this.scopes.push(new Map([[c.accuVar, { index: accuIndex, type: accuType, fails: true }]]));
    const result = this.value(c.result, depth + 1);
    this.scopes.pop();
    if (!result) return undefined;
    const locals = this.locals;
    const [initFn, rangeFn, condFn, stepFn, resultFn] = [init.fn, range.fn, cond.fn, step.fn, result.fn];
    return valueNode(
      result.type,
      (b) => {
        const accu = initFn(b);
        if (isErr(accu)) return accu;
        const items = rangeFn(b);
        if (isErr(items)) return items;
        locals[accuIndex] = accu;
        for (const item of items as readonly unknown[]) {
          locals[iterIndex] = item;
          const go = condFn(b);
          if (isErr(go)) return go;
          if (go !== true) break;
          locals[accuIndex] = stepFn(b);
        }
        return resultFn(b);
      },
      true,
    );
  }

  private call(
    e: Expr,
    fn: string,
    targetExpr: Expr | undefined,
    argExprs: Expr[],
    depth: number,
  ): ValueNode | undefined {
    const target = targetExpr ? this.value(targetExpr, depth + 1) : undefined;
    if (targetExpr && !target) return undefined;
    const args: ValueNode[] = [];
    for (const a of argExprs) {
      const n = this.value(a, depth + 1);
      if (!n) return undefined;
      args.push(n);
    }
    switch (fn) {
      case '_&&_':
      case '_||_':
        return logic(fn === '_&&_', args);
      case '@not_strictly_false': {
        const f = args[0]?.fn;
        return f && args.length === 1 ? valueNode(T.bool, (b) => f(b) !== false, false) : undefined;
      }
      case '_?_:_':
        return conditional(args);
    }
    const all = target ? [target, ...args] : args;
    // An operand that always fails decides the call: the first error in evaluation order.
    if (all.some((n) => n.type.kind === 'error')) return firstError(all);
    if (target) return method(fn, target, args, Number(e.id));
    return operator(fn, args);
  }
}

/** Whether an expression reads no variable (its value is the same on every event). */
function closed(e: Expr | undefined, bound: readonly string[]): boolean {
  if (!e) return true;
  const k = e.exprKind;
  switch (k.case) {
    case 'constExpr':
      return true;
    case 'identExpr':
      return bound.includes(k.value.name);
    case 'selectExpr':
      return closed(k.value.operand, bound);
    case 'callExpr':
      return closed(k.value.target, bound) && k.value.args.every((a) => closed(a, bound));
    case 'listExpr':
      return k.value.elements.every((a) => closed(a, bound));
    case 'structExpr':
      return k.value.entries.every(
        (en) => (en.keyKind.case !== 'mapKey' || closed(en.keyKind.value, bound)) && closed(en.value, bound),
      );
    case 'comprehensionExpr': {
      const c = k.value;
      const inner = [...bound, c.accuVar, c.iterVar, c.iterVar2];
      return (
        closed(c.iterRange, bound) &&
        closed(c.accuInit, bound) &&
        closed(c.loopCondition, inner) &&
        closed(c.loopStep, inner) &&
        closed(c.result, [...bound, c.accuVar])
      );
    }
    default:
      return false;
  }
}

/** A sub-expression that reads no variable, evaluated once by the interpreter itself. */
function fold(e: Expr): ValueNode | undefined {
  const v: unknown = plan(env, e)({});
  if (isCelError(v)) return errorNode(v);
  const typed = fromCel(v);
  return typed && constantNode(typed.type, typed.value);
}

/** A CEL value in the fast representation, with its type; undefined for what is not compiled. */
function fromCel(v: unknown): { type: CheckType; value: unknown } | undefined {
  switch (typeof v) {
    case 'boolean':
      return { type: T.bool, value: v };
    case 'bigint':
      return { type: T.int, value: v };
    case 'number':
      return { type: T.double, value: v };
    case 'string':
      return { type: T.string, value: v };
    case 'object':
      break;
    default:
      return undefined;
  }
  if (v === null) return { type: T.null, value: null };
  if (isCelUint(v)) return { type: T.uint, value: v.value };
  if (isCelList(v)) {
    const out: unknown[] = [];
    let elem: CheckType | undefined;
    for (const item of v) {
      const t = fromCel(item);
      if (!t || (elem && !sameType(elem, t.type))) return undefined;
      elem = t.type;
      out.push(t.value);
    }
    return { type: listOf(elem ?? T.dyn), value: out };
  }
  // Timestamps and durations are protobuf messages: seconds and nanos.
  const message = 'message' in v ? v.message : undefined;
  const desc = 'desc' in v ? v.desc : undefined;
  if (typeof message !== 'object' || message === null || typeof desc !== 'object' || desc === null) {
    return undefined;
  }
  const name = 'typeName' in desc ? desc.typeName : undefined;
  const seconds = 'seconds' in message ? message.seconds : undefined;
  const nanos = 'nanos' in message ? message.nanos : undefined;
  if (typeof seconds !== 'bigint' || typeof nanos !== 'number') return undefined;
  const ns = seconds * NS_PER_S + BigInt(nanos);
  if (name === 'google.protobuf.Timestamp') return { type: T.timestamp, value: ns };
  if (name === 'google.protobuf.Duration') return { type: T.duration, value: ns };
  return undefined;
}

function literal(
  c: Extract<Expr['exprKind'], { case: 'constExpr' }>['value']['constantKind'],
): ValueNode | undefined {
  switch (c.case) {
    case 'boolValue':
      return constantNode(T.bool, c.value);
    case 'int64Value':
      return constantNode(T.int, c.value);
    case 'uint64Value':
      return constantNode(T.uint, c.value);
    case 'doubleValue':
      return constantNode(T.double, c.value);
    case 'stringValue':
      return constantNode(T.string, c.value);
    case 'nullValue':
      return constantNode(T.null, null);
    default:
      return undefined;
  }
}

/** Reads a scalar of the environment; an absent value is the interpreter's `field not found`. */
function readSlot(
  path: string,
  type: CheckType,
  parent: ((b: FastBindings) => CelError | undefined) | undefined,
  field: string,
): ValueNode | undefined {
  const slot = SLOTS.get(path);
  if (!slot) return undefined;
  const i = slot.index;
  const missing = celError(`field not found: ${field}`);
  // Timestamp slots hold milliseconds; the value is nanoseconds.
  if (type.kind === 'timestamp') {
    if (!slot.always || parent) return undefined;
    return valueNode(type, (b) => BigInt(b.slots[i] as number) * NS_PER_MS, false);
  }
  if (parent) {
    return valueNode(
      type,
      (b) => {
        const err = parent(b);
        if (err) return err;
        const v = b.slots[i];
        return v === undefined ? missing : v;
      },
      true,
    );
  }
  const read = { index: i, missing };
  if (slot.always) return { ...valueNode(type, (b) => b.slots[i], false), read };
  return {
    ...valueNode(
      type,
      (b) => {
        const v = b.slots[i];
        return v === undefined ? missing : v;
      },
      true,
    ),
    read,
  };
}

/** && and ||: false (true) if any operand is, whatever the others give; otherwise the first error. */
function logic(and: boolean, args: ValueNode[]): ValueNode | undefined {
  if (args.some((a) => a.type.kind !== 'bool' && a.type.kind !== 'error')) return undefined;
  // A chain flattens: the result depends neither on grouping nor on order.
  const fns: Fn[] = [];
  for (const a of args) {
    if (a.chain?.and === and) fns.push(...a.chain.fns);
    else fns.push(a.fn);
  }
  const decisive = !and;
  const fn: Fn = (b) => {
    let err: unknown;
    for (const f of fns) {
      const v = f(b);
      if (v === decisive) return decisive;
      if (v !== and && err === undefined) err = v;
    }
    return err === undefined ? and : err;
  };
  return {
    ...valueNode(
      T.bool,
      fn,
      args.some((a) => a.fails),
    ),
    chain: { and, fns },
  };
}

function conditional(args: ValueNode[]): ValueNode | undefined {
  const [cond, yes, no] = args;
  if (!cond || !yes || !no || args.length !== 3) return undefined;
  if (cond.type.kind !== 'bool' && cond.type.kind !== 'error') return undefined;
  let type: CheckType;
  if (yes.type.kind === 'error') type = no.type;
  else if (no.type.kind === 'error' || sameType(yes.type, no.type)) type = yes.type;
  else if (
    yes.type.kind === 'list' &&
    no.type.kind === 'list' &&
    (yes.type.elem.kind === 'dyn' || no.type.elem.kind === 'dyn')
  )
    type = yes.type.elem.kind === 'dyn' ? no.type : yes.type;
  else return undefined;
  const [c, y, n] = [cond.fn, yes.fn, no.fn];
  return valueNode(
    type,
    (b) => {
      const v = c(b);
      return v === true ? y(b) : v === false ? n(b) : v;
    },
    cond.fails || yes.fails || no.fails,
  );
}

/** Evaluates the operands in order and gives the first error (one of them always fails). */
function firstError(nodes: ValueNode[]): ValueNode {
  const fns = nodes.map((n) => n.fn);
  return valueNode(
    T.error,
    (b) => {
      for (const f of fns) {
        const v = f(b);
        if (isErr(v)) return v;
      }
      return celError('unreachable: no operand failed');
    },
    true,
  );
}

/** An operation of one operand; errors of the operand pass through. */
function unary(a: ValueNode, type: CheckType, op: (x: unknown) => unknown, fails = a.fails): ValueNode {
  const f = a.fn;
  return valueNode(
    type,
    (b) => {
      const x = f(b);
      return isErr(x) ? x : op(x);
    },
    fails,
  );
}

/** An operation of two operands, evaluated left to right; the first error passes through. */
function binary(
  a: ValueNode,
  c: ValueNode,
  type: CheckType,
  op: (x: unknown, y: unknown) => unknown,
  fails: boolean,
): ValueNode {
  const f = a.fn;
  const failing = fails || a.fails || c.fails;
  if (c.constant) {
    const y = c.constant.value;
    return valueNode(
      type,
      (b) => {
        const x = f(b);
        return isErr(x) ? x : op(x, y);
      },
      failing,
    );
  }
  const g = c.fn;
  return valueNode(
    type,
    (b) => {
      const x = f(b);
      if (isErr(x)) return x;
      const y = g(b);
      return isErr(y) ? y : op(x, y);
    },
    failing,
  );
}

/** A bigint operand seen as a number, for comparing it with a double (as the interpreter does). */
function asDouble(a: ValueNode): ValueNode {
  if (a.constant) return constantNode(T.double, Number(a.constant.value as bigint));
  return unary(a, T.double, (x) => Number(x as bigint));
}

function relation(fn: string, a: ValueNode, c: ValueNode): ValueNode | undefined {
  const at = a.type;
  const ct = c.type;
  if (at.kind === 'string' && ct.kind === 'string') {
    const rel = STRING_RELATIONS[fn];
    return rel && binary(a, c, T.bool, (x, y) => rel(x as string, y as string), false);
  }
  let l = a;
  let r = c;
  if (at.kind === 'bool' && ct.kind === 'bool') {
    // JavaScript orders false before true, as the interpreter's comparison does.
    l = unary(a, T.int, (x) => Number(x));
    r = c.constant ? constantNode(T.int, Number(c.constant.value)) : unary(c, T.int, (x) => Number(x));
  } else if (isInt(at) && ct.kind === 'double') l = asDouble(a);
  else if (at.kind === 'double' && isInt(ct)) r = asDouble(c);
  else if (!(isNumber(at) && isNumber(ct)) && !(at.kind === ct.kind && isBig(at))) return undefined;
  const rel = RELATIONS[fn];
  if (!rel) return undefined;
  const f = l.fn;
  const fails = l.fails || r.fails;
  // The common case, a value against a literal, without the generic operator call.
  if (r.constant) {
    const fused = l.read && fusedComparison(fn, l.read, r.constant.value);
    if (fused) return valueNode(T.bool, fused, fails);
    const y = r.constant.value as Num;
    switch (fn) {
      case '_<_':
        return valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : (x as Num) < y;
          },
          fails,
        );
      case '_<=_':
        return valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : (x as Num) <= y;
          },
          fails,
        );
      case '_>_':
        return valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : (x as Num) > y;
          },
          fails,
        );
      case '_>=_':
        return valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : (x as Num) >= y;
          },
          fails,
        );
    }
  }
  return binary(l, r, T.bool, (x, y) => rel(x as Num, y as Num), false);
}

function equals(negate: boolean, a: ValueNode, c: ValueNode): ValueNode | undefined {
  const eq = equality(a.type, c.type);
  if (!eq) return undefined;
  const same =
    (a.type.kind === c.type.kind && a.type.kind !== 'list') ||
    (a.type.kind === 'double' && c.type.kind === 'double');
  // The common case, a value against a literal of its type: strict equality, inline.
  if (c.constant && same) {
    const fused = a.read && fusedComparison(negate ? '_!=_' : '_==_', a.read, c.constant.value);
    if (fused) return valueNode(T.bool, fused, a.fails);
    const y = c.constant.value;
    const f = a.fn;
    return negate
      ? valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : x !== y;
          },
          a.fails,
        )
      : valueNode(
          T.bool,
          (b) => {
            const x = f(b);
            return isErr(x) ? x : x === y;
          },
          a.fails,
        );
  }
  return binary(a, c, T.bool, negate ? (x, y) => !eq(x, y) : eq, false);
}

function membership(item: ValueNode, list: ValueNode): ValueNode | undefined {
  if (list.type.kind !== 'list') return undefined;
  const elemType = list.type.elem;
  if (list.constant && (list.constant.value as readonly unknown[]).length === 0) {
    return unary(item, T.bool, () => false);
  }
  const eq = equality(item.type, elemType);
  if (!eq) return undefined;
  // Values of one kind compared by identity: a set lookup (not doubles: NaN is in no list).
  const hashable = ['string', 'bool', 'int', 'uint', 'timestamp', 'duration'];
  if (list.constant && item.type.kind === elemType.kind && hashable.includes(elemType.kind)) {
    const set = new Set(list.constant.value as readonly unknown[]);
    if (item.read) {
      const { index: i, missing } = item.read;
      return valueNode(
        T.bool,
        (b) => {
          const x = b.slots[i];
          return x === undefined ? missing : set.has(x);
        },
        item.fails,
      );
    }
    const f = item.fn;
    return valueNode(
      T.bool,
      (b) => {
        const x = f(b);
        return isErr(x) ? x : set.has(x);
      },
      item.fails,
    );
  }
  return binary(
    item,
    list,
    T.bool,
    (x, y) => {
      for (const v of y as readonly unknown[]) if (eq(v, x)) return true;
      return false;
    },
    false,
  );
}

function arithmetic(fn: string, a: ValueNode, c: ValueNode): ValueNode | undefined {
  const k = `${a.type.kind},${c.type.kind}`;
  const overflow = (kind: string) => celError(`${kind} overflow during ${fn}`);
  switch (`${fn} ${k}`) {
    case '_+_ int,int': {
      const err = overflow('int');
      return binary(a, c, T.int, (x, y) => intResult((x as bigint) + (y as bigint), err), true);
    }
    case '_-_ int,int': {
      const err = overflow('int');
      return binary(a, c, T.int, (x, y) => intResult((x as bigint) - (y as bigint), err), true);
    }
    case '_*_ int,int': {
      const err = overflow('int');
      return binary(a, c, T.int, (x, y) => intResult((x as bigint) * (y as bigint), err), true);
    }
    case '_/_ int,int':
    case '_/_ uint,uint': {
      const zero = celError(`${a.type.kind} divide by zero`);
      return binary(
        a,
        c,
        a.type,
        (x, y) =>
          y === 0n
            ? zero
            : intResult((x as bigint) / (y as bigint), celError(`int overflow during divide by ${y}`)),
        true,
      );
    }
    case '_%_ int,int':
    case '_%_ uint,uint': {
      const zero = celError(`${a.type.kind} modulus by zero`);
      return binary(a, c, a.type, (x, y) => (y === 0n ? zero : (x as bigint) % (y as bigint)), true);
    }
    case '_+_ uint,uint': {
      const err = overflow('uint');
      return binary(a, c, T.uint, (x, y) => uintResult((x as bigint) + (y as bigint), err), true);
    }
    case '_-_ uint,uint': {
      const err = overflow('uint');
      return binary(a, c, T.uint, (x, y) => uintResult((x as bigint) - (y as bigint), err), true);
    }
    case '_*_ uint,uint': {
      const err = overflow('uint');
      return binary(a, c, T.uint, (x, y) => uintResult((x as bigint) * (y as bigint), err), true);
    }
    case '_+_ double,double':
      return binary(a, c, T.double, (x, y) => (x as number) + (y as number), false);
    case '_-_ double,double':
      return binary(a, c, T.double, (x, y) => (x as number) - (y as number), false);
    case '_*_ double,double':
      return binary(a, c, T.double, (x, y) => (x as number) * (y as number), false);
    case '_/_ double,double':
      return binary(a, c, T.double, (x, y) => (x as number) / (y as number), false);
    case '_+_ string,string':
      return binary(a, c, T.string, (x, y) => (x as string) + (y as string), false);
    case '_+_ list,list': {
      const t = a.type.kind === 'list' && a.type.elem.kind === 'dyn' ? c.type : a.type;
      if (a.type.kind !== 'list' || c.type.kind !== 'list') return undefined;
      if (a.type.elem.kind !== 'dyn' && c.type.elem.kind !== 'dyn' && !sameType(a.type, c.type))
        return undefined;
      return binary(a, c, t, (x, y) => [...(x as unknown[]), ...(y as unknown[])], false);
    }
    case '_+_ timestamp,duration':
    case '_+_ duration,timestamp':
      return binary(a, c, T.timestamp, (x, y) => timestampResult((x as bigint) + (y as bigint)), true);
    case '_-_ timestamp,duration':
      return binary(a, c, T.timestamp, (x, y) => timestampResult((x as bigint) - (y as bigint)), true);
    case '_-_ timestamp,timestamp':
    case '_-_ duration,duration':
      return binary(a, c, T.duration, (x, y) => durationResult((x as bigint) - (y as bigint)), true);
    case '_+_ duration,duration':
      return binary(a, c, T.duration, (x, y) => durationResult((x as bigint) + (y as bigint)), true);
    default:
      return undefined;
  }
}

/** Global functions and operators, by the static types of their operands. */
function operator(fn: string, args: ValueNode[]): ValueNode | undefined {
  const [a, c] = args;
  if (!a) return undefined;
  if (args.length === 1) {
    const t = a.type.kind;
    switch (fn) {
      case '!_':
        return t === 'bool' ? unary(a, T.bool, (x) => !x) : undefined;
      case '-_':
        if (t === 'double') return unary(a, T.double, (x) => -(x as number));
        if (t === 'int') return unary(a, T.int, (x) => intResult(-(x as bigint), INT_CONVERSION), true);
        return undefined;
      case 'size':
        return size(a);
      case 'int':
        if (t === 'int') return a;
        if (t === 'uint') return unary(a, T.int, (x) => intResult(x as bigint, INT_CONVERSION), true);
        if (t === 'double') return unary(a, T.int, (x) => intOfDouble(x as number), true);
        if (t === 'string') return unary(a, T.int, (x) => intOfString(x as string), true);
        if (t === 'timestamp') return unary(a, T.int, (x) => timestampSeconds(x as bigint));
        if (t === 'duration') return unary(a, T.int, (x) => (x as bigint) / NS_PER_S);
        return undefined;
      case 'uint':
        if (t === 'uint') return a;
        if (t === 'int') return unary(a, T.uint, (x) => uintResult(x as bigint, UINT_CONVERSION), true);
        if (t === 'double') return unary(a, T.uint, (x) => uintOfDouble(x as number), true);
        if (t === 'string') return unary(a, T.uint, (x) => uintOfString(x as string), true);
        return undefined;
      case 'double':
        if (t === 'double') return a;
        if (t === 'int' || t === 'uint') return unary(a, T.double, (x) => Number(x as bigint));
        if (t === 'string') return unary(a, T.double, (x) => Number(x as string));
        return undefined;
      case 'string':
        if (t === 'string') return a;
        if (t === 'int' || t === 'uint' || t === 'double' || t === 'bool') {
          return unary(a, T.string, (x) => String(x));
        }
        return undefined;
      case 'bool':
        if (t === 'bool') return a;
        if (t === 'string') return unary(a, T.bool, (x) => boolOfString(x as string), true);
        return undefined;
      case 'timestamp':
        return t === 'timestamp' ? a : undefined;
      case 'duration':
        return t === 'duration' ? a : undefined;
      default:
        return undefined;
    }
  }
  if (!c || args.length !== 2) return undefined;
  switch (fn) {
    case '_==_':
    case '_!=_':
      return equals(fn === '_!=_', a, c);
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_':
      return relation(fn, a, c);
    case '@in':
      return membership(a, c);
    case '_+_':
    case '_-_':
    case '_*_':
    case '_/_':
    case '_%_':
      return arithmetic(fn, a, c);
    default:
      return undefined;
  }
}

function size(a: ValueNode): ValueNode | undefined {
  if (a.type.kind === 'string') return unary(a, T.int, (x) => codePoints(x as string));
  if (a.type.kind === 'list') return unary(a, T.int, (x) => BigInt((x as readonly unknown[]).length));
  return undefined;
}

/** Methods (`x.f(...)`), by the static type of the receiver. */
function method(fn: string, target: ValueNode, args: ValueNode[], id: number): ValueNode | undefined {
  const t = target.type.kind;
  const [a] = args;
  if (fn === 'size' && args.length === 0) return size(target);
  if (t === 'string' && a?.type.kind === 'string' && args.length === 1) {
    switch (fn) {
      case 'contains':
        return binary(target, a, T.bool, (x, y) => (x as string).includes(y as string), false);
      case 'startsWith':
        return binary(target, a, T.bool, (x, y) => (x as string).startsWith(y as string), false);
      case 'endsWith':
        return binary(target, a, T.bool, (x, y) => (x as string).endsWith(y as string), false);
      case 'matches': {
        // The interpreter's own implementation (RE2 semantics), called directly.
        const matches = MATCHES;
        if (!matches) return undefined;
        return binary(
          target,
          a,
          T.bool,
          (x, y) =>
            matches.call(id, x as string, [y as string]) ?? celError('no matching overload for matches'),
          true,
        );
      }
    }
    return undefined;
  }
  if (t === 'timestamp') {
    const part = TIMESTAMP_PARTS[fn];
    if (!part) return undefined;
    if (args.length === 0)
      return unary(target, T.int, (x) => timestampPart(part, x as bigint, undefined), true);
    if (a?.type.kind === 'string' && args.length === 1) {
      return binary(target, a, T.int, (x, y) => timestampPart(part, x as bigint, y as string), true);
    }
    return undefined;
  }
  if (t === 'duration' && args.length === 0) {
    const part = DURATION_PARTS[fn];
    return part && unary(target, T.int, (x) => part(x as bigint));
  }
  return undefined;
}

/**
 * Compiles a parsed (and checked) rule expression to a fast program, or gives undefined
 * when the expression uses something this compiler does not cover: the caller then uses
 * the interpreter, which gives the same results, only slower.
 */
export function compileFast(parsed: ParsedExpr): FastProgram | undefined {
  let root: ValueNode | undefined;
  try {
    root = new Compiler().value(parsed.expr, 0);
  } catch {
    // Planning a constant part can refuse what the whole expression's plan accepted lazily: interpret it.
    return undefined;
  }
  if (!root || (root.type.kind !== 'bool' && root.type.kind !== 'error')) return undefined;
  // The root's static type is bool: every value it gives is a boolean or a CEL error.
  return root.fn as FastProgram;
}
