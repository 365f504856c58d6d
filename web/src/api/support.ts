import {
  DISPUTE_REASONS,
  type DisputeReason,
  type DisputeStatus,
  FEEDBACK_CATEGORIES,
  type FeedbackCategory,
  type FeedbackStatus,
  REPORT_KINDS,
  type ReportKind,
} from '../../../src/support/model.ts';
import type { ProvisionalStatus } from '../../../src/support/tables.ts';
import { currencyExponent, minorToDecimal, parseMajorToMinor } from '../format/money.ts';
import {
  array,
  bool,
  count,
  type Decoder,
  minor,
  nullable,
  num,
  object,
  oneOf,
  type Page,
  page,
  str,
  withDefault,
} from './decode.ts';
import { ApiError, isErrorCode } from './errors.ts';

/**
 * Disputes and feedback as the staff console reads them (GET /v1/staff/disputes…,
 * /v1/staff/feedback…). The vocabulary (reasons, categories, report kinds) is the support
 * module's own; statuses the console does not know fail to decode rather than show raw.
 */

export type { DisputeReason, DisputeStatus, FeedbackCategory, FeedbackStatus, ProvisionalStatus, ReportKind };
export { DISPUTE_REASONS, FEEDBACK_CATEGORIES, REPORT_KINDS };

export const DISPUTE_STATUSES = [
  'open',
  'deciding',
  'decided',
  'withdrawn',
] as const satisfies readonly DisputeStatus[];
export const DISPUTE_OUTCOMES = ['upheld', 'rejected'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];
export const PROVISIONAL_STATUSES = [
  'none',
  'declined',
  'pending',
  'paid',
  'failed',
  'cancelled',
  'kept',
  'reversal_due',
  'reversed',
  'reversal_failed',
] as const satisfies readonly ProvisionalStatus[];
export const FEEDBACK_STATUSES = ['open', 'answered', 'closed'] as const satisfies readonly FeedbackStatus[];

export function isDisputeStatus(v: string): v is DisputeStatus {
  return (DISPUTE_STATUSES as readonly string[]).includes(v);
}
export function isFeedbackStatus(v: string): v is FeedbackStatus {
  return (FEEDBACK_STATUSES as readonly string[]).includes(v);
}
export function isFeedbackCategory(v: string): v is FeedbackCategory {
  return (FEEDBACK_CATEGORIES as readonly string[]).includes(v);
}

/** Query keys: everything support shares a prefix, so a decision refreshes the queue and the item. */
export const SUPPORT_KEYS = {
  all: ['support'] as const,
  disputes: (q: Record<string, string | number | undefined>) => ['support', 'disputes', q] as const,
  dispute: (id: string) => ['support', 'dispute', id] as const,
  feedback: (q: Record<string, string | number | undefined>) => ['support', 'feedback', q] as const,
  feedbackItem: (id: string) => ['support', 'feedback-item', id] as const,
  summary: (from: string) => ['support', 'summary', from] as const,
};

/** Rows per page of the queues (the server allows up to 100). */
export const QUEUE_PAGE_SIZE = 25;

/** Disputes and feedback that still wait for a person: they can be overdue. */
export function disputeAwaitsDecision(status: DisputeStatus): boolean {
  return status === 'open' || status === 'deciding';
}

// ---- Disputes --------------------------------------------------------------------------

const disputeStatus = oneOf(DISPUTE_STATUSES);
const disputeReason = oneOf(DISPUTE_REASONS);
const provisionalStatus = oneOf(PROVISIONAL_STATUSES);
const outcome = oneOf(DISPUTE_OUTCOMES);

/** One line of the dispute queue. */
export const disputeLine = object({
  id: str,
  customerId: str,
  merchantId: nullable(str),
  entryId: str,
  reason: disputeReason,
  currency: str,
  amountMinor: minor,
  status: disputeStatus,
  provisionalStatus: withDefault(provisionalStatus, 'none'),
  caseId: str,
  dueAt: str,
  overdue: withDefault(bool, false),
  createdAt: str,
});
export type DisputeLine = ReturnType<typeof disputeLine>;
export const disputeQueue: Decoder<Page<DisputeLine>> = page('disputes', disputeLine);

/** A text the user reads, in English and Simplified Chinese (either may be missing). */
export interface Bilingual {
  en: string | null;
  zh: string | null;
}

const bilingual: Decoder<Bilingual> = (v, path) => {
  const o = object({ en: nullable(str), 'zh-CN': nullable(str) })(v, path);
  return { en: o.en, zh: o['zh-CN'] };
};

const evidenceFile = object({
  id: str,
  filename: str,
  contentType: withDefault(str, ''),
  sizeBytes: count,
  sha256: str,
  createdAt: nullable(str),
});
export type EvidenceFile = ReturnType<typeof evidenceFile>;

const decision = object({
  outcome,
  reason: withDefault(bilingual, { en: null, zh: null }),
  refundMinor: nullable(minor),
  refundEntryId: nullable(str),
  decidedAt: nullable(str),
});
export type DisputeDecision = ReturnType<typeof decision>;

/** GET /v1/staff/disputes/:id, and the answer to a decision. */
export const disputeDetail = object({
  id: str,
  entryId: str,
  entryKind: withDefault(str, ''),
  merchantId: nullable(str),
  currency: str,
  amountMinor: minor,
  reason: disputeReason,
  description: withDefault(str, ''),
  status: disputeStatus,
  dueAt: str,
  overdue: withDefault(bool, false),
  provisionalCredit: withDefault(
    object({
      status: provisionalStatus,
      amountMinor: nullable(minor),
      entryId: nullable(str),
      reversalEntryId: nullable(str),
    }),
    { status: 'none', amountMinor: null, entryId: null, reversalEntryId: null },
  ),
  decision: nullable(decision),
  withdrawnAt: nullable(str),
  attachments: withDefault(array(evidenceFile), []),
  /** What the user is told about the dispute now. */
  message: withDefault(bilingual, { en: null, zh: null }),
  createdAt: str,
  updatedAt: nullable(str),
  customerId: str,
  walletId: nullable(str),
  caseId: str,
  overdueAt: nullable(str),
  provisionalNote: nullable(str),
  pendingOutcome: nullable(outcome),
  pendingRefundMinor: nullable(minor),
  refundAttempts: withDefault(count, 0),
  decidedBy: nullable(str),
});
export type DisputeDetail = ReturnType<typeof disputeDetail>;

/** What the decision form holds, as typed. */
export interface DecisionInput {
  outcome: DisputeOutcome;
  reasonEn: string;
  reasonZh: string;
  /** Major units as typed; only read for an upheld payment. */
  refund: string;
}

export type DecisionCheck =
  | { ok: true; body: Record<string, unknown>; refundMinor: string | null }
  | { ok: false; reason: 'required' | null; refund: 'invalid' | 'tooLarge' | null };

/** The server's longest reason, per language. */
export const DECISION_REASON_MAX = 2000;

/** Whether an upheld dispute of this transaction kind is refunded from the merchant (a payment). */
export function refundsFromMerchant(d: { entryKind: string }): boolean {
  return d.entryKind === 'payment';
}

/**
 * The body of POST /v1/disputes/:id/decision for the form, or what is wrong with it: a
 * reason in at least one language, and for an upheld payment a refund of at most the
 * disputed amount (the disputed amount when left empty).
 */
export function checkDecision(
  d: { amountMinor: string; currency: string; entryKind: string },
  input: DecisionInput,
): DecisionCheck {
  const en = input.reasonEn.trim();
  const zh = input.reasonZh.trim();
  const reason = en === '' && zh === '' ? 'required' : null;
  let refundMinor: string | null = null;
  let refund: 'invalid' | 'tooLarge' | null = null;
  if (input.outcome === 'upheld' && refundsFromMerchant(d)) {
    const typed = input.refund.trim();
    refundMinor = typed === '' ? d.amountMinor : parseMajorToMinor(typed, d.currency);
    if (refundMinor === null) refund = 'invalid';
    else if (BigInt(refundMinor) > BigInt(d.amountMinor)) refund = 'tooLarge';
  }
  if (reason !== null || refund !== null) return { ok: false, reason, refund };
  return {
    ok: true,
    refundMinor,
    body: {
      outcome: input.outcome,
      reason: { ...(en ? { en } : {}), ...(zh ? { 'zh-CN': zh } : {}) },
      ...(refundMinor !== null ? { refundMinor } : {}),
    },
  };
}

/** The disputed amount in major units, as the refund field starts ("123.45"). */
export function majorText(amountMinor: string, currency: string): string {
  return minorToDecimal(amountMinor, currencyExponent(currency)) ?? '';
}

/**
 * Why a merchant refund was not made (409 SUPPORT_DISPUTE_REFUND_FAILED carries the
 * refund's own code), as an error the console can word; null for any other failure.
 */
export function refundCause(err: unknown): ApiError | null {
  if (!(err instanceof ApiError) || err.code !== 'SUPPORT_DISPUTE_REFUND_FAILED') return null;
  const code = err.extensions.refundCode;
  if (typeof code !== 'string' || code === '') return null;
  return isErrorCode(code) ? new ApiError(code, 0, '') : new ApiError('UNEXPECTED', 0, '', null, code);
}

// ---- Feedback -------------------------------------------------------------------------

const feedbackCategory = oneOf(FEEDBACK_CATEGORIES);
const feedbackStatus = oneOf(FEEDBACK_STATUSES);

const rating = object({ score: count, comment: nullable(str), ratedAt: nullable(str) });
export type FeedbackRating = ReturnType<typeof rating>;

const feedbackFields = {
  id: str,
  category: feedbackCategory,
  subject: withDefault(str, ''),
  status: feedbackStatus,
  report: nullable(oneOf(REPORT_KINDS)),
  firstResponseDueAt: str,
  firstResponseAt: nullable(str),
  overdue: withDefault(bool, false),
  rating: nullable(rating),
  createdAt: str,
  updatedAt: nullable(str),
  closedAt: nullable(str),
  customerId: str,
  caseId: nullable(str),
  escalatedAt: nullable(str),
  escalatedCaseId: nullable(str),
  firstResponderId: nullable(str),
  closedBy: nullable(str),
};

export const feedbackLine = object(feedbackFields);
export type FeedbackLine = ReturnType<typeof feedbackLine>;
export const feedbackQueue: Decoder<Page<FeedbackLine>> = page('feedback', feedbackLine);

const message = object({
  from: oneOf(['customer', 'staff'] as const),
  authorId: withDefault(str, ''),
  body: str,
  at: str,
});
export type FeedbackMessage = ReturnType<typeof message>;

/** GET /v1/staff/feedback/:id, and the answer to a reply or a close. */
export const feedbackDetail = object({
  ...feedbackFields,
  entryId: nullable(str),
  messages: withDefault(array(message), []),
});
export type FeedbackDetail = ReturnType<typeof feedbackDetail>;

/** The server's longest message. */
export const FEEDBACK_MESSAGE_MAX = 4000;

const zero = withDefault(count, 0);

/** Counts per category; a category the server leaves out counts 0, one it adds is ignored. */
const categoryCounts: Decoder<Record<FeedbackCategory, number>> = object({
  payment_problem: zero,
  security_concern: zero,
  suspected_fraud: zero,
  account_access: zero,
  suggestion: zero,
} satisfies Record<FeedbackCategory, Decoder<number>>);

const statusCounts: Decoder<Record<FeedbackStatus, number>> = object({
  open: zero,
  answered: zero,
  closed: zero,
} satisfies Record<FeedbackStatus, Decoder<number>>);

/** GET /v1/staff/feedback/summary. */
export const feedbackSummary = object({
  from: str,
  to: str,
  total: count,
  byCategory: categoryCounts,
  byStatus: statusCounts,
  reports: withDefault(object({ scam: zero, compromised: zero }), {
    scam: 0,
    compromised: 0,
  }),
  firstResponse: object({
    answered: count,
    due: count,
    answeredWithin24h: count,
    /** 0–1, or null when nothing was due yet. */
    shareWithin24h: nullable(num),
    medianMinutes: nullable(num),
  }),
  escalated: withDefault(count, 0),
  rating: object({ count, mean: nullable(num) }),
  weekly: withDefault(array(object({ weekStart: str, total: count, byCategory: categoryCounts })), []),
});
export type FeedbackSummary = ReturnType<typeof feedbackSummary>;

// ---- Filters in the address -------------------------------------------------------------

/** The status filters' value for "any status"; with no value in the address the queue shows what waits. */
export const ANY = 'any';

export interface DisputeFilters {
  status: DisputeStatus | typeof ANY;
  overdue: boolean;
}

export interface FeedbackFilters {
  status: FeedbackStatus | typeof ANY;
  category: FeedbackCategory | null;
  overdue: boolean;
}

const DISPUTE_DEFAULT_STATUS: DisputeStatus = 'open';
const FEEDBACK_DEFAULT_STATUS: FeedbackStatus = 'open';

/** The dispute queue's filters from the address (unknown values are ignored). */
export function disputeFiltersFrom(params: URLSearchParams): DisputeFilters {
  const s = params.get('status') ?? '';
  return {
    status: s === ANY || isDisputeStatus(s) ? s : DISPUTE_DEFAULT_STATUS,
    overdue: params.get('overdue') === 'true',
  };
}

export function disputeFiltersToParams(f: DisputeFilters): Record<string, string> {
  return {
    ...(f.status !== DISPUTE_DEFAULT_STATUS ? { status: f.status } : {}),
    ...(f.overdue ? { overdue: 'true' } : {}),
  };
}

/** GET /v1/staff/disputes query for the filters and a page cursor. */
export function disputeQuery(
  f: DisputeFilters,
  cursor: string | undefined,
): Record<string, string | number | undefined> {
  return {
    status: f.status === ANY ? undefined : f.status,
    overdue: f.overdue ? 'true' : undefined,
    limit: QUEUE_PAGE_SIZE,
    cursor,
  };
}

export function feedbackFiltersFrom(params: URLSearchParams): FeedbackFilters {
  const s = params.get('status') ?? '';
  const c = params.get('category') ?? '';
  return {
    status: s === ANY || isFeedbackStatus(s) ? s : FEEDBACK_DEFAULT_STATUS,
    category: isFeedbackCategory(c) ? c : null,
    overdue: params.get('overdue') === 'true',
  };
}

export function feedbackFiltersToParams(f: FeedbackFilters): Record<string, string> {
  return {
    ...(f.status !== FEEDBACK_DEFAULT_STATUS ? { status: f.status } : {}),
    ...(f.category ? { category: f.category } : {}),
    ...(f.overdue ? { overdue: 'true' } : {}),
  };
}

export function feedbackQuery(
  f: FeedbackFilters,
  cursor: string | undefined,
): Record<string, string | number | undefined> {
  return {
    status: f.status === ANY ? undefined : f.status,
    category: f.category ?? undefined,
    overdue: f.overdue ? 'true' : undefined,
    limit: QUEUE_PAGE_SIZE,
    cursor,
  };
}

/** The weekly trend as chart series: one per category, weeks in order, zeros where nothing came in. */
export function weeklySeries(summary: Pick<FeedbackSummary, 'weekly'>): {
  weeks: string[];
  series: Array<{ category: FeedbackCategory; counts: number[] }>;
} {
  const weeks = [...summary.weekly].sort((a, b) => (a.weekStart < b.weekStart ? -1 : 1));
  return {
    weeks: weeks.map((w) => w.weekStart),
    series: FEEDBACK_CATEGORIES.map((category) => ({
      category,
      counts: weeks.map((w) => w.byCategory[category]),
    })),
  };
}
