import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import { writeOutbox } from '../platform/outbox.ts';
import {
  type AlertSource,
  type CaseKind,
  canTransition,
  type EntityRef,
  maxSeverity,
  priorityOf,
  type Severity,
  slaMinutes,
} from './model.ts';

/** A signal that needs a person: what raised it, how bad, about whom, with what evidence. */
export interface AlertInput {
  source: AlertSource;
  /** The raising record's id (decision id, report id, dispute id…): raising twice is a no-op. */
  sourceRef: string;
  /** e.g. `risk.review`, `risk.freeze`, `report.scam`, `dispute.opened`: selects the service level. */
  type: string;
  severity: Severity;
  title: string;
  /** The customer or merchant the alert is about; alerts on one subject share its open risk case. */
  subjectId: string | null;
  amountMinor?: bigint | null;
  currency?: string | null;
  decisionId?: string | null;
  holdId?: string | null;
  withdrawalId?: string | null;
  entities: EntityRef[];
  evidence: Record<string, unknown>;
  /** `risk` (default) joins the subject's open risk case; `dispute` and `feedback` always open their own. */
  caseKind?: CaseKind;
  /** The loss a compensation on the case may not exceed (a dispute's amount). */
  lossMinor?: bigint | null;
}

export interface RaisedAlert {
  alertId: string;
  caseId: string;
  /** False when the same (source, sourceRef) was raised before: nothing changed. */
  created: boolean;
  /** True when the alert opened a new case, false when it joined an open one. */
  newCase: boolean;
}

export interface IntakeOptions {
  slaMinutes?: Record<string, number>;
  /** Exponent of the alert's currency, for the priority's amount points (default 2). */
  exponent?: number;
}

const SYSTEM = { type: 'system', id: 'bulwark' };

/**
 * Raises an alert inside the caller's transaction: idempotent per (source, sourceRef);
 * joins the subject's open risk case (deduplication) or opens a case; links the entities;
 * writes the timeline and the `cases.alert.raised` event. Every module that hands work to
 * people (risk decisions, AML, monitoring, user reports, disputes) comes through here.
 */
export async function raiseAlert(
  tx: Tx,
  input: AlertInput,
  now: Date,
  options: IntakeOptions = {},
): Promise<RaisedAlert> {
  const existing = await tx
    .selectFrom('alerts')
    .select(['id', 'case_id'])
    .where('source', '=', input.source)
    .where('source_ref', '=', input.sourceRef)
    .executeTakeFirst();
  if (existing) return { alertId: existing.id, caseId: existing.case_id, created: false, newCase: false };

  const kind = input.caseKind ?? 'risk';
  const amount = input.amountMinor ?? null;
  const priority = priorityOf(input.severity, amount, options.exponent ?? 2);
  const dueAt = new Date(now.getTime() + slaMinutes(input.type, options.slaMinutes) * 60_000);
  const alertId = newId('alt');

  let caseId: string | null = null;
  if (kind === 'risk' && input.subjectId) {
    // Lock the subject's open risk case, if any: a concurrent raise waits here and then joins it.
    const open = await tx
      .selectFrom('cases')
      .select(['id', 'severity', 'priority', 'due_at'])
      .where('kind', '=', 'risk')
      .where('subject_id', '=', input.subjectId)
      .where('status', '<>', 'closed')
      .forUpdate()
      .executeTakeFirst();
    if (open) {
      caseId = open.id;
      await tx
        .updateTable('cases')
        .set({
          severity: maxSeverity(open.severity, input.severity),
          priority: Math.max(open.priority, priority),
          due_at: open.due_at.getTime() <= dueAt.getTime() ? open.due_at : dueAt,
          updated_at: now,
          version: sql`version + 1`,
        })
        .where('id', '=', open.id)
        .execute();
    }
  }
  const newCase = caseId === null;
  if (caseId === null) {
    caseId = newId('cas');
    // The partial unique index (one open risk case per subject) turns a lost race into an
    // error here; the caller's transaction retries or fails whole, never half-written.
    await tx
      .insertInto('cases')
      .values({
        id: caseId,
        kind,
        status: 'open',
        subject_id: input.subjectId,
        title: input.title,
        severity: input.severity,
        priority,
        assignee_id: null,
        disposition: null,
        summary: null,
        loss_minor: input.lossMinor ?? null,
        currency: input.currency ?? null,
        due_at: dueAt,
        created_at: now,
        updated_at: now,
        decided_at: null,
        closed_at: null,
      })
      .execute();
    await caseEvent(tx, caseId, SYSTEM, 'case.opened', { kind, title: input.title }, now);
  }

  await tx
    .insertInto('alerts')
    .values({
      id: alertId,
      source: input.source,
      source_ref: input.sourceRef,
      type: input.type,
      severity: input.severity,
      priority,
      status: 'open',
      case_id: caseId,
      subject_id: input.subjectId,
      amount_minor: amount,
      currency: input.currency ?? null,
      decision_id: input.decisionId ?? null,
      hold_id: input.holdId ?? null,
      withdrawal_id: input.withdrawalId ?? null,
      title: input.title,
      entities: JSON.stringify(input.entities),
      evidence: JSON.stringify(input.evidence),
      due_at: dueAt,
      created_at: now,
      closed_at: null,
    })
    .execute();
  await linkEntities(tx, caseId, input.entities, now);
  await caseEvent(
    tx,
    caseId,
    SYSTEM,
    'alert.joined',
    { alertId, type: input.type, severity: input.severity, source: input.source, title: input.title },
    now,
  );
  await writeOutbox(tx, [
    {
      topic: 'cases.alert.raised',
      aggregateId: alertId,
      payload: { alertId, caseId, severity: input.severity, type: input.type },
    },
  ]);
  return { alertId, caseId, created: true, newCase };
}

/** Links entities to a case; linking one twice is a no-op. */
export async function linkEntities(tx: Tx, caseId: string, entities: EntityRef[], now: Date): Promise<void> {
  const unique = new Map(entities.map((e) => [`${e.kind}:${e.id}`, e]));
  if (unique.size === 0) return;
  await tx
    .insertInto('case_entities')
    .values([...unique.values()].map((e) => ({ case_id: caseId, kind: e.kind, ref: e.id, added_at: now })))
    .onConflict((oc) => oc.columns(['case_id', 'kind', 'ref']).doNothing())
    .execute();
}

/** Appends one event to a case's timeline. */
export async function caseEvent(
  tx: Tx,
  caseId: string,
  actor: { type: string; id: string },
  type: string,
  detail: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await tx
    .insertInto('case_events')
    .values({
      case_id: caseId,
      at,
      actor_type: actor.type,
      actor_id: actor.id,
      type,
      detail: JSON.stringify(detail),
    })
    .execute();
}

/**
 * Moves a dispute or feedback case along with the record it follows (a dispute decided or
 * withdrawn, feedback closed), inside that record's transaction. Risk cases are left to
 * their analysts (closing one needs a disposition); a move the state machine does not
 * allow from the current state, or to the state it is in, does nothing.
 */
export async function followCaseInTx(
  tx: Tx,
  caseId: string,
  to: 'decided' | 'closed',
  actor: { type: string; id: string },
  now: Date,
  detail: Record<string, unknown> = {},
): Promise<boolean> {
  const c = await tx
    .selectFrom('cases')
    .select(['kind', 'status'])
    .where('id', '=', caseId)
    .forUpdate()
    .executeTakeFirst();
  if (!c || c.kind === 'risk' || c.status === to || !canTransition(c.status, to)) return false;
  await tx
    .updateTable('cases')
    .set({
      status: to,
      updated_at: now,
      version: sql`version + 1`,
      ...(to === 'decided' ? { decided_at: now } : { closed_at: now }),
    })
    .where('id', '=', caseId)
    .execute();
  if (to === 'closed') await setAlertsOpen(tx, caseId, false, now);
  await caseEvent(tx, caseId, actor, 'case.status', { from: c.status, to, ...detail }, now);
  return true;
}

/** A case's alerts close with it and open again when it is reopened. */
export async function setAlertsOpen(tx: Tx, caseId: string, open: boolean, now: Date): Promise<void> {
  await tx
    .updateTable('alerts')
    .set(open ? { status: 'open', closed_at: null } : { status: 'closed', closed_at: now })
    .where('case_id', '=', caseId)
    .execute();
}
