import type { Tx } from '../platform/db.ts';
import type { AppError } from '../platform/errors.ts';
import type { Currency } from '../platform/money.ts';
import type { OutboxEvent } from '../platform/outbox.ts';
import type { RiskDecision } from '../risk/gate.ts';
import type { RuleName } from './rules.ts';
import type { Entry, EntryKind, Hold } from './types.ts';

/** The response stored with an idempotency key and replayed for a retry. */
export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export interface IdempotencySpec {
  scope: string;
  key: string;
  /** SHA-256 of method, path and canonical body: same key with another hash is a conflict. */
  requestHash: string;
  /** Builds the response from the outcome; it is stored in the same transaction as the effect. */
  render: (outcome: CommandOutcome) => StoredResponse;
}

/** A decision made just now (stored with the command) or one stored earlier (referenced). */
export type DecisionRef = { record: RiskDecision } | { id: string };

interface CommandOptions {
  idempotency?: IdempotencySpec;
  /** Runs inside the ledger transaction after the ledger's writes, only when the command succeeded. */
  inTx?: (tx: Tx, outcome: SuccessOutcome) => Promise<void>;
  /** Extra events for the outbox, written in the same transaction. */
  events?: (outcome: SuccessOutcome) => OutboxEvent[];
}

/** Post an entry now. */
export interface PostCommand extends CommandOptions {
  type: 'post';
  kind: EntryKind;
  rule: RuleName;
  params: Record<string, string>;
  currency: Currency;
  amountMinor: bigint;
  decision: DecisionRef;
  metadata: Record<string, string>;
}

/** Reserve funds on one account for an entry that will be posted later (two-phase). */
export interface HoldCommand extends CommandOptions {
  type: 'hold';
  kind: EntryKind;
  rule: RuleName;
  params: Record<string, string>;
  currency: Currency;
  amountMinor: bigint;
  /** The account whose available balance is reserved: the payer. */
  holdAccountId: string;
  expiresAt: Date;
  decision: DecisionRef;
  metadata: Record<string, string>;
}

/** Post a pending hold, fully or partly; the rest is released. */
export interface PostHoldCommand extends CommandOptions {
  type: 'postHold';
  holdId: string;
  /** Defaults to the whole hold. */
  amountMinor?: bigint;
  reason: string;
  /** Merged over the hold's metadata in the posted entry (e.g. the fee of a partial amount). */
  metadata?: Record<string, string>;
}

/** Release a pending hold (void), or expire it when its time has passed. */
export interface VoidHoldCommand extends CommandOptions {
  type: 'voidHold';
  holdId: string;
  expire?: boolean;
  reason: string;
}

/** Undo all or part of a posted entry with a new entry (refund or reversal). */
export interface ReverseCommand extends CommandOptions {
  type: 'reverse';
  entryId: string;
  kind: 'refund' | 'reversal';
  /** Defaults to what remains of the original. */
  amountMinor?: bigint;
  /** When set, the original must have been posted with this rule (refunds need a payment). */
  expectRule?: RuleName;
  decision: DecisionRef;
  metadata: Record<string, string>;
}

/** Store a decision that moved no money (a refusal) with its idempotent response. */
export interface RecordCommand extends CommandOptions {
  type: 'record';
  decision: RiskDecision;
}

export type LedgerCommand =
  | PostCommand
  | HoldCommand
  | PostHoldCommand
  | VoidHoldCommand
  | ReverseCommand
  | RecordCommand;

export interface SuccessOutcome {
  ok: true;
  entry?: Entry;
  hold?: Hold;
  decisionId?: string;
}

export interface FailureOutcome {
  ok: false;
  error: AppError;
}

export type CommandOutcome = SuccessOutcome | FailureOutcome;

/** What submitting a command gives back: its fresh outcome, or the stored response of an earlier try. */
export type SubmitResult =
  | { replayed: false; outcome: CommandOutcome; response: StoredResponse | undefined }
  | { replayed: true; response: StoredResponse };
