import type { Logger } from 'pino';
import { caseEvent, followCaseInTx, raiseAlert } from '../cases/intake.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { type Answer, type SupportCtx, storedId, withView } from './answers.ts';
import {
  type Actor,
  canMoveFeedback,
  FEEDBACK_FIRST_RESPONSE_MS,
  type FeedbackCategory,
  type FeedbackStatus,
  LIMITS,
  SYSTEM_ACTOR,
} from './model.ts';
import { keysetPage, type ListOrder, type PageQuery } from './pages.ts';
import {
  type FeedbackRow,
  loadFeedback,
  lockCustomer,
  lockFeedback,
  messagesOf,
  updateFeedback,
  writtenInLastDay,
} from './store.ts';
import { feedbackLine, feedbackView, staffFeedbackLine, staffFeedbackView } from './views.ts';

export interface FeedbackDeps {
  db: Db;
  clock: Clock;
  log: Logger;
}

const OWN_ORDER: ListOrder = { tag: 'fbk', column: 'created_at', direction: 'desc', limitDefault: 20 };
const QUEUE_ORDER: ListOrder = {
  tag: 'fbkq',
  column: 'first_response_due_at',
  direction: 'asc',
  limitDefault: 50,
};

/** Categories whose overdue items are escalated as high: they may hide fraud or a lost account. */
const URGENT: FeedbackCategory[] = ['security_concern', 'suspected_fraud', 'account_access'];

function forbidden(): AppError {
  return new AppError('AUTH_FORBIDDEN', 'A customer can read and write only their own feedback.');
}

function stateError(f: { id: string; status: FeedbackStatus }, wanted: string): AppError {
  return new AppError('SUPPORT_FEEDBACK_STATE', `Feedback ${f.id} is ${f.status}; ${wanted}.`, {
    status: f.status,
  });
}

/** The cases that follow an item: the report's risk case and the escalation's feedback case. */
function casesOf(f: FeedbackRow): string[] {
  return [f.case_id, f.escalated_case_id].filter((c): c is string => c !== null);
}

/**
 * Feedback and complaints (K3): a user writes in one of five categories; a person answers
 * within 24 hours (the first answer's time is kept); an item still unanswered at its due
 * time is escalated once to a feedback case; after closure the user rates the help.
 */
export class FeedbackService {
  constructor(private readonly deps: FeedbackDeps) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Inserts an item with its first message inside the caller's transaction (a report adds
   * its own fields); returns the new id. The first answer is due 24 hours from now.
   */
  async insert(
    tx: Tx,
    customerId: string,
    input: { category: FeedbackCategory; subject: string; message: string },
    now: Date,
    extra: Partial<Pick<FeedbackRow, 'report_kind' | 'entry_id' | 'case_id'>> = {},
  ): Promise<string> {
    const id = newId('fbk');
    await tx
      .insertInto('support_feedback')
      .values({
        id,
        customer_id: customerId,
        category: input.category,
        subject: input.subject,
        status: 'open',
        report_kind: extra.report_kind ?? null,
        entry_id: extra.entry_id ?? null,
        case_id: extra.case_id ?? null,
        first_response_due_at: new Date(now.getTime() + FEEDBACK_FIRST_RESPONSE_MS),
        first_response_at: null,
        first_responder_id: null,
        escalated_at: null,
        escalated_case_id: null,
        message_count: 1,
        closed_at: null,
        closed_by: null,
        rating: null,
        rating_comment: null,
        rated_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('support_feedback_messages')
      .values({
        feedback_id: id,
        author_type: 'customer',
        author_id: customerId,
        body: input.message,
        created_at: now,
      })
      .execute();
    return id;
  }

  async create(
    customerId: string,
    input: { category: FeedbackCategory; subject: string; message: string },
    ctx: SupportCtx,
  ): Promise<Answer> {
    let createdId: string | undefined;
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      await lockCustomer(tx, customerId);
      const now = this.now();
      if ((await writtenInLastDay(tx, customerId, 'feedback', now)) >= LIMITS.feedbackPerDayMax) {
        throw new AppError(
          'SUPPORT_LIMIT_REACHED',
          `At most ${LIMITS.feedbackPerDayMax} feedback items a day; add to an open one instead.`,
        );
      }
      createdId = await this.insert(tx, customerId, input, now);
      return { statusCode: 201, body: { id: createdId } };
    });
    const id = createdId ?? storedId(result.response.body);
    if (!id) return result;
    return withView(result, 201, () => this.customerView(customerId, id));
  }

  async customerView(customerId: string, id: string) {
    const f = await loadFeedback(this.deps.db, id);
    if (!f || f.customer_id !== customerId) throw forbidden();
    return feedbackView(f, await messagesOf(this.deps.db, id), this.now());
  }

  async staffView(id: string) {
    const f = await loadFeedback(this.deps.db, id);
    if (!f) throw new AppError('SUPPORT_FEEDBACK_NOT_FOUND', `Feedback ${id} does not exist.`);
    return staffFeedbackView(f, await messagesOf(this.deps.db, id), this.now());
  }

  /** The customer's own items, newest first. */
  async listOwn(customerId: string, q: PageQuery) {
    const query = this.deps.db
      .selectFrom('support_feedback')
      .selectAll()
      .where('customer_id', '=', customerId);
    const page = await keysetPage(query, OWN_ORDER, q);
    const now = this.now();
    return { feedback: page.rows.map((f) => feedbackLine(f, now)), nextCursor: page.nextCursor };
  }

  /** The staff queue: soonest first-response due first; `overdue` keeps only unanswered items past due. */
  async queue(
    q: PageQuery & {
      status?: FeedbackStatus | undefined;
      category?: FeedbackCategory | undefined;
      overdue?: boolean | undefined;
    },
  ) {
    const now = this.now();
    let query = this.deps.db.selectFrom('support_feedback').selectAll();
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    if (q.category !== undefined) query = query.where('category', '=', q.category);
    if (q.overdue === true) {
      query = query
        .where('first_response_at', 'is', null)
        .where('status', '<>', 'closed')
        .where('first_response_due_at', '<', now);
    }
    const page = await keysetPage(query, QUEUE_ORDER, q);
    return { feedback: page.rows.map((f) => staffFeedbackLine(f, now)), nextCursor: page.nextCursor };
  }

  /** Appends a message, checking the item is not closed and has room. */
  private async addMessage(tx: Tx, f: FeedbackRow, author: Actor, body: string, now: Date): Promise<void> {
    if (f.status === 'closed') throw stateError(f, 'it was closed; write a new one');
    if (f.message_count >= LIMITS.messagesPerFeedbackMax) {
      throw new AppError(
        'SUPPORT_LIMIT_REACHED',
        `A conversation holds at most ${LIMITS.messagesPerFeedbackMax} messages; start a new one.`,
      );
    }
    await tx
      .insertInto('support_feedback_messages')
      .values({
        feedback_id: f.id,
        author_type: author.type === 'customer' ? 'customer' : 'staff',
        author_id: author.id,
        body,
        created_at: now,
      })
      .execute();
  }

  /** The customer adds to their item; an answered item goes back to the queue. */
  async customerMessage(customerId: string, id: string, message: string, ctx: SupportCtx): Promise<Answer> {
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const f = await lockFeedback(tx, id);
      if (!f || f.customer_id !== customerId) throw forbidden();
      const now = this.now();
      await this.addMessage(tx, f, ctx.actor, message, now);
      await updateFeedback(tx, id, { status: 'open', message_count: f.message_count + 1, updated_at: now });
      for (const caseId of casesOf(f)) {
        await caseEvent(tx, caseId, ctx.actor, 'feedback.customer_message', { feedbackId: id }, now);
      }
      return { statusCode: 201, body: { id } };
    });
    return withView(result, 201, () => this.customerView(customerId, id));
  }

  /** Rating is for closed items only, once. */
  async rate(
    customerId: string,
    id: string,
    input: { score: number; comment?: string | undefined },
    ctx: SupportCtx,
  ): Promise<Answer> {
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const f = await lockFeedback(tx, id);
      if (!f || f.customer_id !== customerId) throw forbidden();
      if (f.status !== 'closed') throw stateError(f, 'it can be rated once it is closed');
      if (f.rating !== null) throw stateError(f, 'it was already rated');
      const now = this.now();
      await updateFeedback(tx, id, {
        rating: input.score,
        rating_comment: input.comment ?? null,
        rated_at: now,
        updated_at: now,
      });
      for (const caseId of casesOf(f)) {
        await caseEvent(tx, caseId, ctx.actor, 'feedback.rated', { feedbackId: id, score: input.score }, now);
      }
      return { statusCode: 200, body: { id } };
    });
    return withView(result, 200, () => this.customerView(customerId, id));
  }

  /** A staff answer; the first one records the first-response time and tells the user. */
  async reply(id: string, message: string, ctx: SupportCtx): Promise<Answer> {
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const f = await lockFeedback(tx, id);
      if (!f) throw new AppError('SUPPORT_FEEDBACK_NOT_FOUND', `Feedback ${id} does not exist.`);
      await this.answer(tx, f, ctx.actor, message, this.now());
      return { statusCode: 201, body: { id } };
    });
    return withView(result, 201, () => this.staffView(id));
  }

  /** A staff answer: the item becomes `answered`; the first answer records the first-response time. */
  private async answer(tx: Tx, f: FeedbackRow, staff: Actor, message: string, now: Date): Promise<void> {
    if (!canMoveFeedback(f.status, 'answered')) throw stateError(f, 'it was closed');
    await this.addMessage(tx, f, staff, message, now);
    const first = f.first_response_at === null;
    await updateFeedback(tx, f.id, {
      status: 'answered',
      message_count: f.message_count + 1,
      updated_at: now,
      ...(first ? { first_response_at: now, first_responder_id: staff.id } : {}),
    });
    for (const caseId of casesOf(f)) {
      await caseEvent(
        tx,
        caseId,
        staff,
        'feedback.answered',
        { feedbackId: f.id, first, responseMs: first ? now.getTime() - f.created_at.getTime() : null },
        now,
      );
    }
    await writeOutbox(tx, [
      {
        topic: 'support.feedback.answered',
        aggregateId: f.id,
        payload: { feedbackId: f.id, customerId: f.customer_id, category: f.category },
      },
    ]);
  }

  /** Closes an item, with an optional last answer to the user (counted as a response). */
  async close(id: string, message: string | undefined, ctx: SupportCtx): Promise<Answer> {
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const f = await lockFeedback(tx, id);
      if (!f) throw new AppError('SUPPORT_FEEDBACK_NOT_FOUND', `Feedback ${id} does not exist.`);
      if (!canMoveFeedback(f.status, 'closed')) throw stateError(f, 'it is already closed');
      const now = this.now();
      if (message !== undefined) await this.answer(tx, f, ctx.actor, message, now);
      await updateFeedback(tx, id, {
        status: 'closed',
        closed_at: now,
        closed_by: ctx.actor.id,
        updated_at: now,
      });
      for (const caseId of casesOf(f)) {
        await caseEvent(tx, caseId, ctx.actor, 'feedback.closed', { feedbackId: id }, now);
        await followCaseInTx(tx, caseId, 'closed', ctx.actor, now, { feedbackId: id });
      }
      return { statusCode: 200, body: { id } };
    });
    return withView(result, 200, () => this.staffView(id));
  }

  /**
   * Escalates items with no human answer by their due time: each once (the mark and the
   * alert commit together, and the alert is idempotent per item), to a feedback case
   * that a supervisor works. Reports are left out: their risk case has its own, shorter,
   * service level.
   */
  async escalateDue(now: Date): Promise<number> {
    const due = await this.deps.db
      .selectFrom('support_feedback')
      .select('id')
      .where('first_response_at', 'is', null)
      .where('escalated_at', 'is', null)
      .where('status', '<>', 'closed')
      .where('report_kind', 'is', null)
      .where('first_response_due_at', '<=', now)
      .orderBy('first_response_due_at')
      .limit(LIMITS.dueBatchMax)
      .execute();
    let escalated = 0;
    for (const { id } of due) {
      const done = await this.deps.db.transaction().execute(async (tx) => {
        const f = await lockFeedback(tx, id);
        if (!f || f.first_response_at !== null || f.escalated_at !== null || f.status === 'closed')
          return false;
        const alert = await raiseAlert(
          tx,
          {
            source: 'feedback',
            sourceRef: f.id,
            type: 'feedback.overdue',
            severity: URGENT.includes(f.category) ? 'high' : 'medium',
            title: `Feedback without an answer after 24 h: ${f.subject}`.slice(0, 200),
            subjectId: f.customer_id,
            entities: [
              { kind: 'customer', id: f.customer_id },
              { kind: 'feedback', id: f.id },
            ],
            evidence: {
              category: f.category,
              createdAt: f.created_at.toISOString(),
              firstResponseDueAt: f.first_response_due_at.toISOString(),
              messages: f.message_count,
            },
            caseKind: 'feedback',
          },
          now,
        );
        await updateFeedback(tx, id, { escalated_at: now, escalated_case_id: alert.caseId, updated_at: now });
        await caseEvent(
          tx,
          alert.caseId,
          SYSTEM_ACTOR,
          'feedback.escalated',
          { feedbackId: id, overdueMs: now.getTime() - f.first_response_due_at.getTime() },
          now,
        );
        return true;
      });
      if (done) escalated++;
    }
    return escalated;
  }
}
