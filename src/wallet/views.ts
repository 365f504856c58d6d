import type { CommandOutcome, StoredResponse } from '../ledger/commands.ts';
import type { StatementLine } from '../ledger/service.ts';
import type { Account, Entry, Hold } from '../ledger/types.ts';
import { type AppError, problemFromError } from '../platform/errors.ts';
import type { RiskDecision } from '../risk/gate.ts';
import { tipsFor } from '../support/education.ts';

/** API representations: every amount is an integer string of minor units. */

export function accountView(a: Account) {
  return {
    id: a.id,
    kind: a.kind,
    ownerId: a.ownerId,
    currency: a.currency,
    status: a.status,
    postedMinor: a.postedMinor.toString(),
    heldMinor: a.heldMinor.toString(),
    availableMinor: (a.postedMinor - a.heldMinor).toString(),
  };
}

export function entryView(e: Entry) {
  return {
    id: e.id,
    seq: e.seq.toString(),
    kind: e.kind,
    occurredAt: e.occurredAt.toISOString(),
    amountMinor: e.amountMinor.toString(),
    currency: e.currency,
    decisionId: e.decisionId,
    reversesId: e.reversesId,
    holdId: e.holdId,
    rule: e.rule,
    params: e.params,
    metadata: e.metadata,
    postings: e.postings.map((p) => ({
      accountId: p.accountId,
      amountMinor: p.amountMinor.toString(),
      balanceAfterMinor: p.balanceAfterMinor.toString(),
    })),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export function holdView(h: Hold) {
  return {
    id: h.id,
    accountId: h.accountId,
    kind: h.kind,
    status: h.status,
    amountMinor: h.amountMinor.toString(),
    postedMinor: h.postedMinor.toString(),
    currency: h.currency,
    decisionId: h.decisionId,
    entryId: h.entryId,
    metadata: h.metadata,
    expiresAt: h.expiresAt.toISOString(),
    createdAt: h.createdAt.toISOString(),
    updatedAt: h.updatedAt.toISOString(),
  };
}

/**
 * A decision as its customer sees it. A movement that did not simply go through carries
 * up to three security tips for its reasons (K6), in both languages; the full text is at
 * `GET /v1/education/tips?reasonCodes=…`.
 */
export function decisionView(d: Pick<RiskDecision, 'id' | 'outcome' | 'reasonCodes' | 'customerMessage'>) {
  const view = {
    id: d.id,
    outcome: d.outcome,
    reasonCodes: d.reasonCodes,
    customerMessage: d.customerMessage,
  };
  if (d.outcome === 'ALLOW') return view;
  const tips = tipsFor(d.reasonCodes);
  return tips.length === 0 ? view : { ...view, tips: tips.map((t) => ({ id: t.id, title: t.title })) };
}

export function statementLineView(l: StatementLine) {
  return {
    entryId: l.entryId,
    seq: l.seq.toString(),
    kind: l.kind,
    occurredAt: l.occurredAt.toISOString(),
    amountMinor: l.amountMinor.toString(),
    balanceAfterMinor: l.balanceAfterMinor.toString(),
    currency: l.currency,
    feeMinor: l.metadata.feeMinor ?? null,
    description: l.metadata.memo ?? l.metadata.orderRef ?? l.metadata.reason ?? null,
    holdId: l.holdId,
    reversesId: l.reversesId,
    counterparties: l.counterparties,
  };
}

export function problemResponse(err: AppError, extra: Record<string, unknown> = {}): StoredResponse {
  const body = problemFromError(err);
  return { statusCode: err.status, body: { ...body, ...extra } };
}

/**
 * The response of a money movement: 201 when posted, 202 when held for review,
 * a problem when refused. The decision's customer-facing words travel with it.
 */
export function movementResponse(
  kind: string,
  decision: RiskDecision,
  outcome: CommandOutcome,
  extra: Record<string, unknown> = {},
): StoredResponse {
  const decisionBody = decisionView(decision);
  if (!outcome.ok) return problemResponse(outcome.error, { decision: decisionBody });
  if (outcome.entry) {
    const e = outcome.entry;
    return {
      statusCode: 201,
      body: {
        id: e.id,
        kind,
        status: 'completed',
        amountMinor: e.amountMinor.toString(),
        currency: e.currency,
        entryId: e.id,
        holdId: null,
        feeMinor: e.metadata.feeMinor ?? null,
        decision: decisionBody,
        createdAt: e.occurredAt.toISOString(),
        ...extra,
      },
    };
  }
  if (outcome.hold) {
    const h = outcome.hold;
    return {
      statusCode: 202,
      body: {
        id: h.id,
        kind,
        status: 'held',
        amountMinor: h.amountMinor.toString(),
        currency: h.currency,
        entryId: null,
        holdId: h.id,
        feeMinor: h.metadata.feeMinor ?? null,
        decision: decisionBody,
        holdExpiresAt: h.expiresAt.toISOString(),
        createdAt: h.createdAt.toISOString(),
        ...extra,
      },
    };
  }
  throw new Error('a successful movement has an entry or a hold');
}
