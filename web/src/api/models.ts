import type { Permission } from '../../../src/access/permissions.ts';
import type { ModelStatus as ServerModelStatus } from '../../../src/platform/schema.ts';
import {
  array,
  count,
  DecodeError,
  type Decoder,
  firstOf,
  nullable,
  num,
  object,
  oneOf,
  str,
  withDefault,
} from './decode.ts';
import { type Approval, approval } from './resources.ts';

/**
 * The model registry as the console reads it: versions of the fraud model with what they
 * were trained on, their risk-level thresholds and status history, and the moves between
 * states (shadow, unshadow, promotion and retirement; the last two of a champion through
 * maker-checker). The DTOs are adapted here: the page sees one shape whatever the model
 * file left out.
 */

export const MODEL_STATUSES = ['candidate', 'challenger', 'champion', 'retired'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
// The server's statuses and these are the same set: a status added there fails the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const STATUSES_MATCH_SERVER: Same<ModelStatus, ServerModelStatus> = true;

export function isModelStatus(value: string): value is ModelStatus {
  return (MODEL_STATUSES as readonly string[]).includes(value);
}

/** Query keys: the lists and each version share a prefix, so a move refreshes both. */
export const MODEL_KEYS = {
  all: ['risk-models'] as const,
  list: (status: ModelStatus | 'all') => ['risk-models', 'list', status] as const,
  one: (id: string) => ['risk-models', 'one', id] as const,
  changeRequests: ['approvals', 'pending', 'risk.model.change'] as const,
};

export interface ModelThresholds {
  medium: number;
  high: number;
}

export interface ModelTraining {
  trainedAt: string | null;
  from: string | null;
  to: string | null;
  rows: number | null;
  positives: number | null;
  /** The training parameters as text, sorted by name. */
  params: Array<[string, string]>;
  seconds: number | null;
  source: string | null;
}

export interface ModelEvent {
  /** null: the version was registered. */
  from: ModelStatus | null;
  to: ModelStatus;
  actor: string;
  approvalId: string | null;
  reason: string;
  at: string | null;
}

export interface Model {
  id: string;
  name: string;
  version: number;
  /** `name@version`, as decisions name the model that scored them. */
  label: string;
  scope: string;
  status: ModelStatus;
  features: string[];
  trees: number;
  thresholds: ModelThresholds | null;
  training: ModelTraining | null;
  /** The numeric measures registered with the version ("a.b" for nested ones), sorted by name. */
  metrics: Array<[string, number]>;
  /** The training period (from the training record when the columns are empty). */
  trainedFrom: string | null;
  trainedTo: string | null;
  createdBy: string;
  createdAt: string | null;
  statusChangedAt: string | null;
}

export interface ModelDetail extends Model {
  /** Oldest first. */
  events: ModelEvent[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const byName = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Parameters are whatever the trainer recorded: plain values as text, anything else left out. */
const params: Decoder<Array<[string, string]>> = (v, path) => {
  if (!isRecord(v)) throw new DecodeError(path, 'an object');
  const out: Array<[string, string]> = [];
  for (const [k, value] of Object.entries(v)) {
    if (typeof value === 'string' || typeof value === 'boolean') out.push([k, String(value)]);
    else if (typeof value === 'number' && Number.isFinite(value)) out.push([k, String(value)]);
  }
  return out.sort(byName);
};

/** Numeric measures, one level of nesting flattened as "a.b"; other members are left out. */
const metrics: Decoder<Array<[string, number]>> = (v, path) => {
  if (!isRecord(v)) throw new DecodeError(path, 'an object');
  const out: Array<[string, number]> = [];
  for (const [k, value] of Object.entries(v)) {
    if (typeof value === 'number' && Number.isFinite(value)) out.push([k, value]);
    else if (isRecord(value)) {
      for (const [k2, inner] of Object.entries(value)) {
        if (typeof inner === 'number' && Number.isFinite(inner)) out.push([`${k}.${k2}`, inner]);
      }
    }
  }
  return out.sort(byName);
};

const thresholds: Decoder<ModelThresholds> = object({ medium: num, high: num });

const training: Decoder<ModelTraining> = object({
  trainedAt: nullable(str),
  from: nullable(str),
  to: nullable(str),
  rows: nullable(count),
  positives: nullable(count),
  params: withDefault(params, []),
  seconds: nullable(num),
  source: nullable(str),
});

const status = oneOf(MODEL_STATUSES);

const modelFields = {
  id: str,
  name: str,
  version: count,
  scope: withDefault(str, 'all'),
  status,
  features: withDefault(array(str), []),
  trees: withDefault(count, 0),
  // A file of another trainer may leave these out or shape them otherwise: shown as unknown.
  thresholds: firstOf<ModelThresholds | null>(nullable(thresholds), () => null),
  training: firstOf<ModelTraining | null>(nullable(training), () => null),
  metrics: firstOf<Array<[string, number]>>(withDefault(metrics, []), () => []),
  trainedFrom: nullable(str),
  trainedTo: nullable(str),
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
  statusChangedAt: nullable(str),
};

const modelDto = object(modelFields);

function adapt(o: ReturnType<typeof modelDto>): Model {
  return {
    ...o,
    label: `${o.name}@${o.version}`,
    trainedFrom: o.trainedFrom ?? o.training?.from ?? null,
    trainedTo: o.trainedTo ?? o.training?.to ?? null,
  };
}

export const model: Decoder<Model> = (v, path) => adapt(modelDto(v, path));

export const modelList: Decoder<Model[]> = (v, path) =>
  object({ 'models|items': array(model) })(v, path).models;

const modelEvent: Decoder<ModelEvent> = (v, path) => {
  const o = object({
    fromStatus: nullable(status),
    toStatus: status,
    actor: withDefault(str, ''),
    approvalId: nullable(str),
    reason: withDefault(str, ''),
    at: nullable(str),
  })(v, path);
  return {
    from: o.fromStatus,
    to: o.toStatus,
    actor: o.actor,
    approvalId: o.approvalId,
    reason: o.reason,
    at: o.at,
  };
};

export const modelDetail: Decoder<ModelDetail> = (v, path) => ({
  ...model(v, path),
  events: object({ events: withDefault(array(modelEvent), []) })(v, path).events,
});

// ---- Moves ------------------------------------------------------------------------

export type ModelAction = 'shadow' | 'unshadow' | 'promote' | 'retire';

/** The permissions a move needs (the server decides again); retiring the champion needs both. */
function permissionsOf(action: ModelAction, from: ModelStatus): Permission[] {
  switch (action) {
    case 'shadow':
    case 'unshadow':
      return ['model.write'];
    case 'promote':
      return ['model.publish'];
    case 'retire':
      return from === 'champion' ? ['model.write', 'model.publish'] : ['model.write'];
    default: {
      const never: never = action;
      return never;
    }
  }
}

/** The moves a version's state allows, kept to those the role may make. */
export function actionsFor(status: ModelStatus, can: (p: Permission) => boolean): ModelAction[] {
  let possible: ModelAction[];
  switch (status) {
    case 'candidate':
      possible = ['shadow', 'promote', 'retire'];
      break;
    case 'challenger':
      possible = ['unshadow', 'promote', 'retire'];
      break;
    case 'champion':
      possible = ['retire'];
      break;
    case 'retired':
      // Promoting a retired version is a rollback.
      possible = ['promote'];
      break;
    default: {
      const never: never = status;
      return never;
    }
  }
  return possible.filter((a) => permissionsOf(a, status).every(can));
}

/** Whether the move files an approval request (maker-checker) rather than happening at once. */
export function needsApproval(action: ModelAction, from: ModelStatus): boolean {
  return action === 'promote' || (action === 'retire' && from === 'champion');
}

export type ModelMoveAnswer = { kind: 'approval'; approval: Approval } | { kind: 'model'; model: Model };

/** Promotion and retiring the champion answer an approval request (202); the other moves answer the version. */
export const modelMoveAnswer: Decoder<ModelMoveAnswer> = firstOf<ModelMoveAnswer>(
  (v, p) => ({ kind: 'approval', approval: approval(v, p) }),
  (v, p) => ({ kind: 'model', model: model(v, p) }),
);

/** A pending `risk.model.change` request: which version, to become what. */
export interface ModelChangeRequest {
  id: string;
  modelId: string;
  to: 'champion' | 'retired';
}

/** GET /v1/approvals?status=pending, kept to the model changes. */
export const modelChangeRequests: Decoder<ModelChangeRequest[]> = (v, path) => {
  const items = object({
    'approvals|items': withDefault(
      array(
        object({
          id: str,
          action: str,
          status: str,
          payload: withDefault(
            object({ modelId: nullable(str), status: nullable(oneOf(['champion', 'retired'] as const)) }),
            { modelId: null, status: null },
          ),
        }),
      ),
      [],
    ),
  })(v, path).approvals;
  const out: ModelChangeRequest[] = [];
  for (const a of items) {
    if (a.action !== 'risk.model.change' || a.status !== 'pending') continue;
    if (a.payload.modelId === null || a.payload.status === null) continue;
    out.push({ id: a.id, modelId: a.payload.modelId, to: a.payload.status });
  }
  return out;
};

// ---- The model on a decision ------------------------------------------------------

export type ModelLevel = 'low' | 'medium' | 'high';
export const MODEL_LEVELS: readonly ModelLevel[] = ['low', 'medium', 'high'];

export function isModelLevel(value: string): value is ModelLevel {
  return (MODEL_LEVELS as readonly string[]).includes(value);
}

export interface ShadowScore {
  /** `name@version` of the challenger. */
  name: string;
  score: number;
  level: string;
}

const shadowScore: Decoder<ShadowScore> = object({ name: str, score: num, level: withDefault(str, '') });

/**
 * The challengers' scores a decision stored (`detail.modelShadow`), read from the same
 * answer as the decision itself; none when the detail or the member is missing.
 */
export const decisionShadowScores: Decoder<ShadowScore[]> = (v, path) => {
  const o = object({
    detail: nullable(object({ modelShadow: withDefault(array(shadowScore), []) })),
  })(v, path);
  return o.detail?.modelShadow ?? [];
};
