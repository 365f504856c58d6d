import type { Permission } from '../../../src/access/permissions.ts';
import {
  ALERT_SOURCES,
  type AlertSource,
  CASE_KINDS,
  CASE_STATUSES,
  type CaseKind,
  type CaseStatus,
  DISPOSITIONS,
  type Disposition,
  SEVERITIES,
  type Severity,
  TRANSITIONS,
} from '../../../src/cases/model.ts';
import {
  array,
  bool,
  count,
  DecodeError,
  type Decoder,
  firstOf,
  minor,
  nullable,
  num,
  object,
  oneOf,
  str,
  withDefault,
} from './decode.ts';
import { ApiError, isErrorCode } from './errors.ts';
import { type Approval, approval } from './resources.ts';

/**
 * Alerts, cases and the risk reserve as the console reads them. The vocabulary (severities,
 * statuses, the state machine, dispositions) is the server's own, imported from the cases
 * module, so a status added there is known here. Evidence is whatever the raising module
 * stored: it is read tolerantly, and what the console does not know is left out rather
 * than shown raw.
 */

export type { AlertSource, CaseKind, CaseStatus, Disposition, Severity };
export { ALERT_SOURCES, CASE_KINDS, CASE_STATUSES, DISPOSITIONS, SEVERITIES };

/** The alert types the back end raises (the queue's type filter offers these). */
export const ALERT_TYPES = [
  'risk.review',
  'risk.freeze',
  'report.scam',
  'report.compromised',
  'aml.detection',
  'monitoring.alert',
  'dispute.opened',
  'feedback.overdue',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export function isAlertType(v: string): v is AlertType {
  return (ALERT_TYPES as readonly string[]).includes(v);
}
export function isSeverity(v: string): v is Severity {
  return (SEVERITIES as readonly string[]).includes(v);
}
export function isAlertSource(v: string): v is AlertSource {
  return (ALERT_SOURCES as readonly string[]).includes(v);
}
export function isCaseStatus(v: string): v is CaseStatus {
  return (CASE_STATUSES as readonly string[]).includes(v);
}
export function isCaseKind(v: string): v is CaseKind {
  return (CASE_KINDS as readonly string[]).includes(v);
}
export function isDisposition(v: string): v is Disposition {
  return (DISPOSITIONS as readonly string[]).includes(v);
}

/** Query keys: everything about cases shares a prefix, so an action refreshes queue, lists and the case. */
export const CASE_KEYS = {
  all: ['cases'] as const,
  alerts: (q: Record<string, string | number | undefined>) => ['cases', 'alerts', q] as const,
  list: (q: Record<string, string | number | undefined>) => ['cases', 'list', q] as const,
  one: (id: string) => ['cases', 'one', id] as const,
  subject: (subjectId: string) => ['cases', 'subject', subjectId] as const,
  reserve: (period: string) => ['reserve', period] as const,
  precision: ['rule-precision'] as const,
};

/** The server's largest page; the console asks for less. */
export const PAGE_SIZE = 25;
/** The server refuses offsets beyond this. */
export const OFFSET_MAX = 100_000;

const severity = oneOf(SEVERITIES);
const caseStatus = oneOf(CASE_STATUSES);

// ---- The queue ----------------------------------------------------------------------

const alertFields = {
  id: str,
  source: oneOf(ALERT_SOURCES),
  type: str,
  severity,
  priority: withDefault(count, 0),
  status: oneOf(['open', 'closed'] as const),
  caseId: str,
  subjectId: nullable(str),
  amountMinor: nullable(minor),
  currency: nullable(str),
  decisionId: nullable(str),
  holdId: nullable(str),
  withdrawalId: nullable(str),
  title: withDefault(str, ''),
  dueAt: str,
  overdue: withDefault(bool, false),
  createdAt: str,
};

/** One row of GET /v1/alerts: the alert with its case's state, version and assignee. */
export const alertRow = object({
  ...alertFields,
  rank: withDefault(num, 0),
  caseStatus,
  caseVersion: count,
  assigneeId: nullable(str),
});
export type AlertRow = ReturnType<typeof alertRow>;

export const alertQueue = object({ total: count, alerts: array(alertRow) });
export type AlertQueue = ReturnType<typeof alertQueue>;

// ---- Evidence -----------------------------------------------------------------------

export interface Contribution {
  feature: string;
  value: number;
}

export interface EvidenceModel {
  name: string | null;
  score: number | null;
  level: string | null;
  /** Largest push first (either direction). */
  contributions: Contribution[];
}

export interface EvidenceRule {
  ruleId: string;
  version: number;
  reasonCode: string;
  shadow: boolean;
}

/** The event the decision was about, as far as the network view needs it. */
export interface EvidenceInput {
  counterpartyId: string | null;
  deviceId: string | null;
  ip: string | null;
}

export interface Evidence {
  outcome: string | null;
  eventType: string | null;
  reasonCodes: string[];
  customerMessage: string | null;
  score: number | null;
  rules: EvidenceRule[];
  model: EvidenceModel | null;
  explanation: string[];
  input: EvidenceInput;
  /** Other plain facts the raising module stored (a report's channel, a dispute's reason), sorted by name. */
  facts: Array<[string, string]>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KNOWN_EVIDENCE = new Set([
  'outcome',
  'eventType',
  'reasonCodes',
  'customerMessage',
  'score',
  'rules',
  'model',
  'explanation',
  'features',
  'input',
]);

/** A value the raising module stored, as text when it is a plain value (or a list of them). */
function plainText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    return v.length === 0 ? null : v.join(', ');
  }
  return null;
}

/** A text or a list of texts (engines have stored both) as a list. */
const texts: Decoder<string[]> = firstOf<string[]>(
  (v, p) => [str(v, p)],
  array(str),
  () => [],
);

const evidenceModel: Decoder<EvidenceModel> = (v, path) => {
  const m = object({
    name: nullable(str),
    score: nullable(num),
    level: nullable(str),
    contributions: withDefault(array(object({ feature: str, value: num })), []),
  })(v, path);
  return { ...m, contributions: [...m.contributions].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)) };
};

/** The event's parties; a member of another type reads as absent (nothing here can fail). */
function evidenceInput(v: unknown): EvidenceInput {
  if (!isRecord(v)) return { counterpartyId: null, deviceId: null, ip: null };
  const s = (x: unknown) => (typeof x === 'string' && x !== '' ? x : null);
  return { counterpartyId: s(v.counterpartyId), deviceId: s(v.deviceId), ip: s(v.ip) };
}

export const evidence: Decoder<Evidence> = (v, path) => {
  if (!isRecord(v)) throw new DecodeError(path, 'an object');
  const o = object({
    outcome: nullable(str),
    eventType: nullable(str),
    reasonCodes: withDefault(array(str), []),
    customerMessage: nullable(str),
    score: nullable(num),
    rules: withDefault(
      array(
        object({
          ruleId: str,
          version: count,
          reasonCode: withDefault(str, ''),
          shadow: withDefault(bool, false),
        }),
      ),
      [],
    ),
    // A module of another version may store the model otherwise: shown as no model.
    model: firstOf<EvidenceModel | null>(nullable(evidenceModel), () => null),
    explanation: texts,
  })(v, path);
  const facts: Array<[string, string]> = [];
  for (const [k, value] of Object.entries(v)) {
    if (KNOWN_EVIDENCE.has(k)) continue;
    const text = plainText(value);
    if (text !== null) facts.push([k, text]);
  }
  facts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ...o, input: evidenceInput(v.input), facts };
};

const entityRef = object({ kind: str, id: str });
export type EntityRef = ReturnType<typeof entityRef>;

export const alert = object({
  ...alertFields,
  sourceRef: withDefault(str, ''),
  entities: withDefault(array(entityRef), []),
  evidence: withDefault(evidence, {
    outcome: null,
    eventType: null,
    reasonCodes: [],
    customerMessage: null,
    score: null,
    rules: [],
    model: null,
    explanation: [],
    input: { counterpartyId: null, deviceId: null, ip: null },
    facts: [],
  }),
  closedAt: nullable(str),
});
export type Alert = ReturnType<typeof alert>;

// ---- Cases --------------------------------------------------------------------------

const caseFields = {
  id: str,
  kind: oneOf(CASE_KINDS),
  status: caseStatus,
  subjectId: nullable(str),
  title: withDefault(str, ''),
  severity,
  priority: withDefault(count, 0),
  assigneeId: nullable(str),
  disposition: nullable(oneOf(DISPOSITIONS)),
  summary: nullable(str),
  lossMinor: nullable(minor),
  currency: nullable(str),
  dueAt: str,
  overdue: withDefault(bool, false),
  version: count,
  reopened: withDefault(count, 0),
  createdAt: str,
  updatedAt: nullable(str),
  decidedAt: nullable(str),
  closedAt: nullable(str),
};

export const caseSummary = object(caseFields);
export type CaseSummary = ReturnType<typeof caseSummary>;
export const caseList = object({ total: count, cases: array(caseSummary) });
export type CaseList = ReturnType<typeof caseList>;

const caseHold = object({
  id: str,
  kind: withDefault(str, ''),
  status: str,
  amountMinor: minor,
  currency: str,
  accountId: str,
  decisionId: nullable(str),
  expiresAt: nullable(str),
  expired: withDefault(bool, false),
  withdrawalId: nullable(str),
});
export type CaseHold = ReturnType<typeof caseHold>;

const caseWithdrawal = object({
  id: str,
  status: str,
  amountMinor: minor,
  currency: str,
  holdId: nullable(str),
});

/**
 * A timeline event's detail as text by member: plain values as they are, lists of plain
 * values joined, linked entities as "kind id"; anything else is left out.
 */
const eventDetail: Decoder<Record<string, string>> = (v, path) => {
  if (!isRecord(v)) throw new DecodeError(path, 'an object');
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    const text = plainText(value);
    if (text !== null) {
      out[k] = text;
      continue;
    }
    if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
      const refs = value
        .map((x) => (typeof x.kind === 'string' && typeof x.id === 'string' ? `${x.kind} ${x.id}` : null))
        .filter((x): x is string => x !== null);
      if (refs.length > 0) out[k] = refs.join(', ');
    }
  }
  return out;
};

const timelineEvent = object({
  id: firstOf<string>(str, (v, p) => String(count(v, p))),
  at: str,
  actor: object({ type: str, id: str }),
  type: str,
  detail: withDefault(eventDetail, {}),
});
export type TimelineEvent = ReturnType<typeof timelineEvent>;

const attachment = object({
  id: str,
  filename: str,
  contentType: withDefault(str, ''),
  sizeBytes: count,
  sha256: str,
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
});
export type Attachment = ReturnType<typeof attachment>;

const compensation = object({
  id: str,
  customerId: str,
  walletId: str,
  currency: str,
  amountMinor: minor,
  reason: withDefault(str, ''),
  status: str,
  approvalId: nullable(str),
  entryId: nullable(str),
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
  paidAt: nullable(str),
});
export type Compensation = ReturnType<typeof compensation>;

export const caseDetail = object({
  ...caseFields,
  alerts: withDefault(array(alert), []),
  entities: withDefault(array(object({ kind: str, id: str, addedAt: nullable(str) })), []),
  holds: withDefault(array(caseHold), []),
  withdrawals: withDefault(array(caseWithdrawal), []),
  timeline: withDefault(array(timelineEvent), []),
  attachments: withDefault(array(attachment), []),
  compensations: withDefault(array(compensation), []),
});
export type CaseDetail = ReturnType<typeof caseDetail>;

// ---- Answers to actions ------------------------------------------------------------

export const assignAnswer = object({
  assigned: array(object({ caseId: str, assigneeId: str, version: count })),
});

export interface CloseResult {
  id: string;
  /** null when the case closed; else why not, as an error the console can word. */
  error: ApiError | null;
}

/** POST /v1/cases/close: each case closed in its own transaction, with its own result. */
export const closeAnswer: Decoder<CloseResult[]> = (v, path) =>
  object({
    results: array(object({ id: str, ok: bool, code: nullable(str), detail: withDefault(str, '') })),
  })(v, path).results.map((r) => ({
    id: r.id,
    error: r.ok
      ? null
      : r.code !== null && isErrorCode(r.code)
        ? new ApiError(r.code, 0, r.detail)
        : new ApiError('UNEXPECTED', 0, r.detail, null, r.code),
  }));

/** Release and reject answer the ledger's or the withdrawal's record; the case is read again after. */
export const ignoreAnswer: Decoder<null> = () => null;

export type CompensationAnswer =
  | { kind: 'paid'; entryId: string; amountMinor: string; currency: string }
  | { kind: 'approval'; approval: Approval };

/** Up to the threshold a compensation is paid (201); above it, an approval request (202). */
export const compensationAnswer: Decoder<CompensationAnswer> = firstOf<CompensationAnswer>(
  (v, p) => {
    const o = object({ compensationId: str, entryId: str, amountMinor: minor, currency: str, status: str })(
      v,
      p,
    );
    if (o.status !== 'paid') throw new DecodeError(p, 'a paid compensation');
    return { kind: 'paid', entryId: o.entryId, amountMinor: o.amountMinor, currency: o.currency };
  },
  (v, p) => ({ kind: 'approval', approval: approval(v, p) }),
);

/** An action that needs a second person (asking to unfreeze) answers the approval request it filed (202). */
export const approvalRequest: Decoder<Approval> = approval;

export const reverseAnswer = object({ entryId: nullable(str), reverses: str, decisionId: nullable(str) });

export const attachAnswer = object({ attachmentId: str, sha256: str, contentType: str, sizeBytes: count });

export const fundAnswer = object({ entryId: str });

// ---- Rule precision ---------------------------------------------------------------

const precisionRow = object({
  ruleId: str,
  shadow: withDefault(bool, false),
  labelled: count,
  fraud: count,
  laundering: withDefault(count, 0),
  legit: count,
  precision: nullable(num),
  falsePositiveRate: nullable(num),
});
export type PrecisionRow = ReturnType<typeof precisionRow>;

export interface RulePrecision {
  /** Labelled decisions the acting version hit. */
  acting: PrecisionRow | null;
  /** Labelled decisions a shadow version hit (never acted on). */
  shadow: PrecisionRow | null;
}

export const rulePrecision: Decoder<Map<string, RulePrecision>> = (v, path) => {
  const rows = object({ rules: array(precisionRow) })(v, path).rules;
  const out = new Map<string, RulePrecision>();
  for (const r of rows) {
    const entry = out.get(r.ruleId) ?? { acting: null, shadow: null };
    if (r.shadow) entry.shadow = r;
    else entry.acting = r;
    out.set(r.ruleId, entry);
  }
  return out;
};

// ---- The reserve ------------------------------------------------------------------

const reserveCurrency = object({
  currency: str,
  balanceMinor: minor,
  inflows: object({ feesMinor: minor, revenueMinor: minor, count }),
  payouts: object({
    compensationMinor: minor,
    provisionalMinor: minor,
    reversedMinor: minor,
    count,
  }),
});
export type ReserveCurrency = ReturnType<typeof reserveCurrency>;

const reserveMovement = object({
  entryId: str,
  kind: str,
  currency: str,
  amountMinor: minor,
  at: str,
  caseId: nullable(str),
  source: nullable(str),
  reason: nullable(str),
});
export type ReserveMovement = ReturnType<typeof reserveMovement>;

export const reserveReport = object({
  currencies: array(reserveCurrency),
  recent: withDefault(array(reserveMovement), []),
});
export type ReserveReport = ReturnType<typeof reserveReport>;

// ---- Filters in the address ---------------------------------------------------------

export type AssigneeFilter = 'anyone' | 'me' | 'none';

export interface AlertFilters {
  severity: Severity | null;
  type: AlertType | null;
  source: AlertSource | null;
  assignee: AssigneeFilter;
  overdue: boolean;
  /** 1-based. */
  page: number;
}

export interface CaseFilters {
  /** null: every case not closed (the server's default). */
  status: CaseStatus | null;
  kind: CaseKind | null;
  assignee: AssigneeFilter;
  overdue: boolean;
  page: number;
}

function pageOf(params: URLSearchParams): number {
  const raw = params.get('page') ?? '';
  const n = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : 1;
  return Math.max(1, Math.min(n, Math.floor(OFFSET_MAX / PAGE_SIZE) + 1));
}

function assigneeOf(params: URLSearchParams): AssigneeFilter {
  const a = params.get('assignee');
  return a === 'me' || a === 'none' ? a : 'anyone';
}

/** The queue's filters from the address (unknown values are ignored), so a reload or "back" keeps them. */
export function alertFiltersFrom(params: URLSearchParams): AlertFilters {
  const s = params.get('severity') ?? '';
  const t = params.get('type') ?? '';
  const src = params.get('source') ?? '';
  return {
    severity: isSeverity(s) ? s : null,
    type: isAlertType(t) ? t : null,
    source: isAlertSource(src) ? src : null,
    assignee: assigneeOf(params),
    overdue: params.get('overdue') === 'true',
    page: pageOf(params),
  };
}

export function caseFiltersFrom(params: URLSearchParams): CaseFilters {
  const s = params.get('status') ?? '';
  const k = params.get('kind') ?? '';
  return {
    status: isCaseStatus(s) ? s : null,
    kind: isCaseKind(k) ? k : null,
    assignee: assigneeOf(params),
    overdue: params.get('overdue') === 'true',
    page: pageOf(params),
  };
}

/** The address's search parameters for filters: defaults are left out. */
export function filtersToParams(f: AlertFilters | CaseFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === null || v === false || (k === 'assignee' && v === 'anyone') || (k === 'page' && v === 1))
      continue;
    out[k] = String(v);
  }
  return out;
}

/** GET /v1/alerts query for the filters: open alerts, one page. */
export function alertQuery(f: AlertFilters): Record<string, string | number | undefined> {
  return {
    severity: f.severity ?? undefined,
    type: f.type ?? undefined,
    source: f.source ?? undefined,
    assignee: f.assignee === 'anyone' ? undefined : f.assignee,
    overdue: f.overdue ? 'true' : undefined,
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
  };
}

export function caseQuery(f: CaseFilters): Record<string, string | number | undefined> {
  return {
    status: f.status ?? undefined,
    kind: f.kind ?? undefined,
    assignee: f.assignee === 'anyone' ? undefined : f.assignee,
    overdue: f.overdue ? 'true' : undefined,
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
  };
}

// ---- A customer's cases ------------------------------------------------------------

/** Cases of each status group the customer view lists; more are counted, not shown. */
export const SUBJECT_CASES_MAX = PAGE_SIZE;

/**
 * GET /v1/cases queries for every case about one subject: the server lists the cases not
 * closed by default and the closed ones on request, so "any status" takes both.
 */
export function subjectCaseQueries(subjectId: string): {
  open: Record<string, string | number>;
  closed: Record<string, string | number>;
} {
  const base = { subjectId, limit: SUBJECT_CASES_MAX, offset: 0 };
  return { open: base, closed: { ...base, status: 'closed' } };
}

/** One list from the two answers: the open cases (most urgent first), then the closed ones. */
export function subjectCases(open: CaseList, closed: CaseList): CaseList {
  return { total: open.total + closed.total, cases: [...open.cases, ...closed.cases] };
}

// ---- What a user may do on a case ---------------------------------------------------

/** The states a case may move to from its current one (the server's table). */
export function transitionsFrom(status: CaseStatus): readonly CaseStatus[] {
  return TRANSITIONS[status];
}

export interface CaseRights {
  /** Take the case (assign it to oneself). */
  take: boolean;
  /** Assign round-robin among case workers. */
  assign: boolean;
  /** Act on the case: notes, holds, freeze, transitions… (a closed case only reopens). */
  work: boolean;
  unfreeze: boolean;
  compensate: boolean;
}

/**
 * What the user's role allows on a case, as the server checks it: working a case needs
 * `case.work` and the case unassigned, assigned to the user, or `case.manage`.
 */
export function caseRights(
  c: { assigneeId: string | null; status: CaseStatus },
  me: string | null,
  can: (p: Permission) => boolean,
): CaseRights {
  const worker = can('case.work');
  const manager = can('case.manage');
  const mine = c.assigneeId === null || (me !== null && c.assigneeId === me);
  const work = worker && (mine || manager);
  const open = c.status !== 'closed';
  return {
    take: worker && open && c.assigneeId !== me && (c.assigneeId === null || manager),
    assign: worker && manager && open,
    work,
    unfreeze: work && open && can('owner.unfreeze'),
    compensate: work && open && can('compensation.pay'),
  };
}

/** How long until (positive) or since (negative) a due time, in seconds; null when it is not a time. */
export function secondsUntil(iso: string, nowMs: number): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.round((ms - nowMs) / 1000);
}

/** Bytes to base64 for the attachment upload, in chunks (a 5 MB file would overflow one call). */
export function bytesToBase64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
