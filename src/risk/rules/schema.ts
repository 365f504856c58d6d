import { type CelMap, type CelValue, celEnv, celMap, isCelError, parse, plan } from '@bufbuild/cel';
import { type CheckEnv, type CheckType, type StructType, T } from './check.ts';
import { FEATURES, type FeatureDef, type FeatureType, featureDef } from './features.ts';

/**
 * The environment rules are written against: the event being decided, `amount` as a
 * shorthand for its amount, the features the engine computed for it, and `now`, the
 * moment of the decision. Declared here for the checker and converted here for the
 * evaluator, so what rules are checked against is exactly what they get.
 */

/** Every kind of event the engine decides: money movements and sensitive account events. */
export const RULE_EVENT_TYPES = [
  'login',
  'registration',
  'topup',
  'withdrawal',
  'transfer',
  'payment',
  'refund',
  'card_binding',
  'bank_account_binding',
  'phone_change',
  'password_change',
  'email_change',
  'device_change',
] as const;
export type RuleEventType = (typeof RULE_EVENT_TYPES)[number];

export function isRuleEventType(value: string): value is RuleEventType {
  return (RULE_EVENT_TYPES as readonly string[]).includes(value);
}

/** Where an event comes from, as far as it is known. */
export interface RuleGeo {
  /** ISO 3166-1 alpha-2. */
  country?: string | undefined;
  region?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
}

/** An event as the rules see it. Optional fields that are unknown are absent in CEL (test with `has`). */
export interface RuleEvent {
  type: RuleEventType;
  /** The customer acting (the payer; the receiver for top-ups). */
  customerId: string;
  /** The other party: payee, merchant or payer of a refund. */
  counterpartyId?: string | undefined;
  /** Minor units; 0 for events that move no money. */
  amountMinor?: bigint | undefined;
  currency?: string | undefined;
  channel?: string | undefined;
  deviceId?: string | undefined;
  ip?: string | undefined;
  geo?: RuleGeo | undefined;
  /** The customer's local hour (0–23); derived from `at` in the engine's offset when absent. */
  hour?: number | undefined;
  /** When the event happened; the decision time when absent. */
  at?: Date | undefined;
}

/** Feature values by registry name (`customer.accountAgeDays`); ints may be numbers, bigints or integer strings. */
export type FeatureValues = Readonly<Record<string, number | bigint | boolean | string>>;

/** One documented field of the event, for the console and the checker. */
export interface EventFieldDef {
  name: string;
  type: string;
  optional: boolean;
  description: string;
  values?: readonly string[];
}

const EVENT_TYPE: CheckType = { kind: 'string', values: RULE_EVENT_TYPES, source: 'event.type' };

const GEO: StructType = {
  kind: 'struct',
  path: 'event.geo',
  fields: new Map<string, CheckType>([
    ['country', T.string],
    ['region', T.string],
    ['lat', T.double],
    ['lon', T.double],
  ]),
};

export const EVENT_FIELDS: readonly EventFieldDef[] = [
  {
    name: 'type',
    type: 'string',
    optional: false,
    description: 'The kind of event.',
    values: RULE_EVENT_TYPES,
  },
  { name: 'customerId', type: 'string', optional: false, description: 'The customer acting.' },
  {
    name: 'counterpartyId',
    type: 'string',
    optional: true,
    description: 'The payee of a transfer, the merchant of a payment.',
  },
  {
    name: 'amount',
    type: 'int',
    optional: false,
    description: 'Amount in minor units; 0 when no money moves.',
  },
  { name: 'currency', type: 'string', optional: true, description: 'ISO 4217 code of the amount.' },
  { name: 'channel', type: 'string', optional: true, description: 'app, web, api or a payment channel.' },
  { name: 'deviceId', type: 'string', optional: true, description: 'The device the event comes from.' },
  { name: 'ip', type: 'string', optional: true, description: 'The network address the event comes from.' },
  {
    name: 'geo',
    type: 'event.geo',
    optional: true,
    description: 'Where the event comes from: country (ISO 3166-1), region, lat, lon.',
  },
  { name: 'hour', type: 'int', optional: false, description: 'The customer’s local hour, 0–23.' },
  { name: 'at', type: 'timestamp', optional: false, description: 'When the event happened.' },
];

const EVENT: StructType = {
  kind: 'struct',
  path: 'event',
  fields: new Map<string, CheckType>([
    ['type', EVENT_TYPE],
    ['customerId', T.string],
    ['counterpartyId', T.string],
    ['amount', T.int],
    ['currency', T.string],
    ['channel', T.string],
    ['deviceId', T.string],
    ['ip', T.string],
    ['geo', GEO],
    ['hour', T.int],
    ['at', T.timestamp],
  ]),
};

function featureType(f: FeatureDef): CheckType {
  if (f.type === 'string')
    return f.values ? { kind: 'string', values: f.values, source: `features.${f.name}` } : T.string;
  return T[f.type];
}

/** The `features` record: one nested group per dotted prefix of the registry names. */
function featureStruct(): StructType {
  interface Group {
    fields: Map<string, CheckType | Group>;
  }
  const root: Group = { fields: new Map() };
  for (const f of FEATURES) {
    const parts = f.name.split('.');
    let group = root;
    for (const part of parts.slice(0, -1)) {
      let next = group.fields.get(part);
      if (!next || !('fields' in next) || 'kind' in next) {
        next = { fields: new Map() };
        group.fields.set(part, next);
      }
      group = next;
    }
    group.fields.set(parts[parts.length - 1] ?? f.name, featureType(f));
  }
  const toStruct = (g: Group, path: string): StructType => ({
    kind: 'struct',
    path,
    fields: new Map(
      [...g.fields].map(([name, v]) => [name, 'kind' in v ? v : toStruct(v, `${path}.${name}`)]),
    ),
  });
  return toStruct(root, 'features');
}

/** The declared variables rules are checked against. */
export const RULE_ENV: CheckEnv = {
  variables: new Map<string, CheckType>([
    ['event', EVENT],
    ['amount', T.int],
    ['features', featureStruct()],
    ['now', T.timestamp],
  ]),
};

/** What the evaluator binds: the same four variables as CEL values. */
export interface RuleBindings {
  [name: string]: CelValue;
  event: CelMap;
  amount: bigint;
  features: CelMap;
  now: CelValue;
}

/** A value the engine or a tester gave that does not fit the declaration; the value is left out. */
export interface InputError {
  field: string;
  message: string;
}

const env = celEnv();
const toTimestamp = plan(env, parse('timestamp(s)'));

/** A CEL timestamp for a date (through CEL itself, so it is the evaluator's own representation). */
function timestampOf(d: Date): CelValue {
  const v = toTimestamp({ s: d.toISOString() });
  if (isCelError(v)) throw new Error(`cannot represent ${d.toISOString()} as a timestamp`);
  return v;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A value as the CEL type of a feature, or a message saying why it does not fit. */
export function featureValue(
  type: FeatureType,
  v: number | bigint | boolean | string,
): Leaf | { error: string } {
  switch (type) {
    case 'bool':
      return typeof v === 'boolean' ? v : { error: 'a bool is expected' };
    case 'string':
      return typeof v === 'string' ? v : { error: 'a string is expected' };
    case 'double':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'bigint') return Number(v);
      return { error: 'a number is expected' };
    case 'int': {
      let n: bigint | undefined;
      if (typeof v === 'bigint') n = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
      else if (typeof v === 'string' && /^-?[0-9]{1,19}$/.test(v)) n = BigInt(v);
      if (n === undefined) return { error: 'an integer is expected' };
      if (n < INT64_MIN || n > INT64_MAX) return { error: 'the integer is out of range' };
      return n;
    }
  }
}

/**
 * Converts the engine's inputs to CEL values once per evaluation (never per rule).
 * Unknown features and values of the wrong type are left out and reported: a rule that
 * reads them fails alone, the others still run.
 */
export function bindingsOf(
  event: RuleEvent,
  features: FeatureValues,
  at: Date,
  localOffsetMinutes: number,
): { bindings: RuleBindings; inputErrors: InputError[] } {
  const inputErrors: InputError[] = [];
  const amount = event.amountMinor ?? 0n;
  const when = event.at ?? at;
  const hour = event.hour ?? new Date(when.getTime() + localOffsetMinutes * 60_000).getUTCHours();
  const e = new Map<string, CelValue>([
    ['type', event.type],
    ['customerId', event.customerId],
    ['amount', amount],
    ['hour', BigInt(hour)],
    ['at', timestampOf(when)],
  ]);
  const optional: Array<[string, string | undefined]> = [
    ['counterpartyId', event.counterpartyId],
    ['currency', event.currency],
    ['channel', event.channel],
    ['deviceId', event.deviceId],
    ['ip', event.ip],
  ];
  for (const [k, v] of optional) if (v !== undefined) e.set(k, v);
  if (event.geo) {
    const g = new Map<string, CelValue>();
    if (event.geo.country !== undefined) g.set('country', event.geo.country);
    if (event.geo.region !== undefined) g.set('region', event.geo.region);
    if (event.geo.lat !== undefined) g.set('lat', event.geo.lat);
    if (event.geo.lon !== undefined) g.set('lon', event.geo.lon);
    e.set('geo', celMap(g));
  }

  // Every declared group is present, even without values, so `has(features.payee.isNew)`
  // is false rather than an error when the engine knows nothing about a payee.
  const root = groupsOf(FEATURES_TYPE);
  for (const [name, raw] of Object.entries(features)) {
    const def = featureDef(name);
    if (!def) {
      inputErrors.push({ field: `features.${name}`, message: 'no such feature in the registry' });
      continue;
    }
    const value = featureValue(def.type, raw);
    if (typeof value === 'object') {
      inputErrors.push({ field: `features.${name}`, message: value.error });
      continue;
    }
    if (def.values && typeof value === 'string' && !def.values.includes(value)) {
      inputErrors.push({ field: `features.${name}`, message: `one of ${def.values.join(', ')} is expected` });
      continue;
    }
    const parts = name.split('.');
    let group: Group | undefined = root;
    for (const part of parts.slice(0, -1)) group = group?.groups.get(part);
    group?.values.set(parts[parts.length - 1] ?? name, value);
  }
  return {
    bindings: { event: celMap(e), amount, features: celMapOf(root), now: timestampOf(at) },
    inputErrors,
  };
}

type Leaf = bigint | number | boolean | string;
interface Group {
  values: Map<string, Leaf>;
  groups: Map<string, Group>;
}

const FEATURES_TYPE = RULE_ENV.variables.get('features');

/** Empty groups for a declared record and its nested records. */
function groupsOf(t: CheckType | undefined): Group {
  const g: Group = { values: new Map(), groups: new Map() };
  if (t?.kind === 'struct') {
    for (const [name, ft] of t.fields) if (ft.kind === 'struct') g.groups.set(name, groupsOf(ft));
  }
  return g;
}

function celMapOf(g: Group): CelMap {
  const out = new Map<string, CelValue>(g.values);
  for (const [name, sub] of g.groups) out.set(name, celMapOf(sub));
  return celMap(out);
}

/** The declared environment, for the console's rule editor. */
export function environmentDescription(): {
  variables: Array<{ name: string; type: string; description: string }>;
  eventTypes: readonly string[];
  eventFields: readonly EventFieldDef[];
  features: Array<FeatureDef & { path: string }>;
} {
  return {
    variables: [
      { name: 'event', type: 'event', description: 'The event being decided.' },
      { name: 'amount', type: 'int', description: 'Shorthand for event.amount (minor units).' },
      { name: 'features', type: 'features', description: 'What the engine computed about the event.' },
      { name: 'now', type: 'timestamp', description: 'The moment of the decision.' },
    ],
    eventTypes: RULE_EVENT_TYPES,
    eventFields: EVENT_FIELDS,
    features: FEATURES.map((f) => ({ ...f, path: `features.${f.name}` })),
  };
}
