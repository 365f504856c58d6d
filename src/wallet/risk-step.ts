import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { answered, type IdempotencyContext } from '../platform/idempotency.ts';
import { insertDecision } from '../risk/decision-store.ts';
import type { RiskDecision, RiskEvent, RiskGeo } from '../risk/gate.ts';
import { decisionView } from './views.ts';

/**
 * How a money movement meets the risk engine: the event's context from the request, a
 * step-up proof spent for exactly this request, and the CHALLENGE outcome turned into a
 * challenge the caller answers before sending the same request again.
 */

/** What the client tells about the end user's action (integrators pass their user's device and address). */
export interface EventContext {
  deviceId?: string | undefined;
  ip?: string | undefined;
  geo?: RiskGeo | undefined;
  channel?: string | undefined;
  /** When the end user acted; the server's time when absent. */
  occurredAt?: Date | undefined;
}

/** The step-up state of a request: what was asked, and any proof sent with it. */
export interface StepUpContext {
  /** `POST /v1/transfers`: the operation a challenge and its proof are bound to. */
  operation: string;
  /** The request body the proof must match. */
  request: unknown;
  proof?: string | undefined;
  /** A proof for this request was already spent (the customer step-up check). */
  passed?: boolean | undefined;
  /** Who answers a challenge: the signed-in customer, or the integrator for its user. */
  answeredBy: 'customer' | 'integrator';
}

/** The step-up service as the wallet needs it. */
export interface Challenger {
  binding(subjectId: string, operation: string, request: unknown): string;
  consume(subjectId: string, binding: string, proof: string): Promise<unknown>;
  open(
    subjectId: string,
    operation: string,
    binding: string,
    reason: string,
    only?: Array<'integrator'>,
  ): Promise<unknown>;
}

export interface GateLike {
  decide(event: RiskEvent, options?: { stepUpPassed?: boolean }): Promise<RiskDecision>;
  release(decision: RiskDecision): void;
}

/** The event fields a request context adds to a risk event. */
export function contextFields(ctx: {
  ip?: string | undefined;
  event?: EventContext | undefined;
}): Pick<RiskEvent, 'ip' | 'deviceId' | 'geo' | 'channel'> {
  const e = ctx.event;
  const out: Pick<RiskEvent, 'ip' | 'deviceId' | 'geo' | 'channel'> = {};
  const ip = e?.ip ?? ctx.ip;
  if (ip !== undefined) out.ip = ip;
  if (e?.deviceId !== undefined) out.deviceId = e.deviceId;
  if (e?.geo !== undefined) out.geo = e.geo;
  if (e?.channel !== undefined) out.channel = e.channel;
  return out;
}

/**
 * Decides a movement. A proof sent with the request is spent first (it satisfies a
 * CHALLENGE for exactly this request); a CHALLENGE that is not satisfied stores the
 * decision, opens a challenge and refuses with AUTH_STEP_UP_REQUIRED: nothing moves and
 * nothing is kept under the idempotency key, so the same request with the proof goes
 * through, once.
 */
export async function decideMovement(
  deps: { db: Db; gate: GateLike; challenger?: Challenger | undefined },
  event: RiskEvent,
  ctx: { idem: IdempotencyContext; stepUp?: StepUpContext | undefined },
): Promise<RiskDecision> {
  const su = ctx.stepUp;
  const challenger = deps.challenger;
  let passed = su?.passed ?? false;
  if (!passed && su?.proof !== undefined && challenger) {
    const binding = challenger.binding(event.customerId, su.operation, su.request);
    try {
      await challenger.consume(event.customerId, binding, su.proof);
      passed = true;
    } catch (err) {
      // A retry of a request that already went through replays its answer; the proof was spent by it.
      if (
        !(
          err instanceof AppError &&
          err.code === 'AUTH_STEP_UP_INVALID' &&
          (await answered(deps.db, ctx.idem))
        )
      )
        throw err;
      passed = true;
    }
  }
  const decision = await deps.gate.decide(event, { stepUpPassed: passed });
  if (decision.outcome !== 'CHALLENGE') return decision;
  deps.gate.release(decision);
  await insertDecision(deps.db, decision);
  const reason =
    decision.customerMessage ?? 'For your security we need to confirm it is you before this goes ahead.';
  if (!challenger || !su) {
    // No way to answer here (an internal caller): the movement is refused, the decision kept.
    throw new AppError('AUTH_STEP_UP_REQUIRED', reason, {
      decision: decisionView(decision),
      warnings: decision.warnings ?? [],
    });
  }
  const binding = challenger.binding(event.customerId, su.operation, su.request);
  const challenge = await challenger.open(
    event.customerId,
    su.operation,
    binding,
    reason,
    su.answeredBy === 'integrator' ? ['integrator'] : undefined,
  );
  throw new AppError('AUTH_STEP_UP_REQUIRED', reason, {
    challenge,
    decision: decisionView(decision),
    warnings: decision.warnings ?? [],
  });
}

/** The header a step-up proof travels in. */
export const STEP_UP_PROOF_HEADER = 'bulwark-step-up';

/** Requests whose step-up proof the customer check already spent (a CHALLENGE on them is satisfied). */
export const stepUpPassed = new WeakSet<object>();

export function stepUpProofOf(req: {
  headers: Record<string, string | string[] | undefined>;
}): string | undefined {
  const v = req.headers[STEP_UP_PROOF_HEADER];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** An ISO date-time from a request, or VALIDATION_FAILED naming the field. */
export function parseInstant(value: string, field: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !Number.isFinite(d.getTime())) {
    throw new AppError('VALIDATION_FAILED', `${field} must be an ISO 8601 date-time.`, { field });
  }
  return d;
}
