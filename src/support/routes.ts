import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { type AuthSpec, actorOf, principalOf, staffOf } from '../access/principal.ts';
import { AppError } from '../platform/errors.ts';
import { type App, IdempotencyHeaders, idempotencyOf, sendStored } from '../platform/http.ts';
import type { Answer } from './answers.ts';
import { FAQ, languageOf, localFaq, localTip, TIPS, tipsFor } from './education.ts';
import { LIMITS } from './model.ts';
import type { PageQuery } from './pages.ts';
import * as S from './schemas.ts';
import type { SupportService } from './service.ts';

export interface SupportRouteDeps {
  support: SupportService;
}

/** Room for a 5 MB file in base64 (4/3 larger) and its JSON envelope. */
const ATTACHMENT_BODY_LIMIT_BYTES = Math.ceil((LIMITS.attachmentBytesMax * 4) / 3) + 64 * 1024;
const REASON_CODES_MAX = 20;

/** The signed-in customer (the guard admitted only customers to these routes). */
function customerOf(req: FastifyRequest): string {
  return principalOf(req).id;
}

function ctxOf(req: FastifyRequest) {
  return { idem: idempotencyOf(req), actor: actorOf(req), ip: req.ip, requestId: req.id };
}

/** The staff user as the actor of a decision or an answer. */
function staffCtx(req: FastifyRequest) {
  const s = staffOf(req);
  return { idem: idempotencyOf(req), actor: { type: 'staff' as const, id: s.id, role: s.role } };
}

interface RouteDoc {
  summary: string;
  description?: string;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
}

/** The options of a route that reads: who may call it and its OpenAPI text and schemas. */
function read<D extends RouteDoc>(auth: AuthSpec, tags: string[], doc: D) {
  return { config: { auth }, schema: { tags, ...doc } };
}

/** The options of a route that changes something: as a read, and it takes an Idempotency-Key. */
function change<D extends RouteDoc>(auth: AuthSpec, tags: string[], doc: D) {
  return read(auth, tags, { headers: IdempotencyHeaders, ...doc });
}

/** Sends a change's answer (marked when it is a replay). */
function answer(reply: FastifyReply, r: Answer): FastifyReply {
  return sendStored(reply, r.response, r.replayed);
}

function instant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!Number.isFinite(d.getTime()))
    throw new AppError('VALIDATION_FAILED', `${field} is not a date-time.`, { field });
  return d;
}

/**
 * The support API: customers dispute their transactions, write feedback and report scams
 * or a compromised account; staff work the dispute and feedback queues; anyone reads the
 * security tips and answers to common questions, in English or Simplified Chinese.
 */
export function registerSupportRoutes(app: App, deps: SupportRouteDeps): void {
  registerCustomerRoutes(app, deps);
  registerStaffRoutes(app, deps);
  registerEducationRoutes(app);
}

const CUSTOMER_TAGS = ['support'];

function registerCustomerRoutes(app: App, { support }: SupportRouteDeps): void {
  const tags = CUSTOMER_TAGS;
  const { disputes, feedback, reports } = support;
  app.post(
    '/v1/disputes',
    change('customer', tags, {
      summary: 'Dispute a transaction you paid: opens a case with a 7-day deadline and tells the merchant',
      description:
        'Reasons: unauthorised, not_received (goods or service), wrong_amount, duplicate, refund_not_received. Payments and transfers can be disputed for any reason; a refund or withdrawal only as refund_not_received. One dispute per transaction (409 SUPPORT_DISPUTE_EXISTS), within 180 days. Another customer’s transaction is refused with 403. With `provisionalCredit` the amount (up to 2,000.00 CNY, one at a time) is credited from the risk reserve while the dispute is decided, and taken back if the dispute is rejected or withdrawn, or the merchant refunds.',
      body: S.OpenDispute,
    }),
    async (req, reply) => answer(reply, await disputes.open(customerOf(req), req.body, ctxOf(req))),
  );

  registerOwnReads(app, '/v1/disputes', disputes, {
    list: 'Your disputes, newest first',
    one: 'One of your disputes: status, deadline, provisional credit, the decision with its reason, what happens next',
    params: S.DisputeParams,
  });

  app.post(
    '/v1/disputes/:id/attachments',
    {
      bodyLimit: ATTACHMENT_BODY_LIMIT_BYTES,
      ...change('customer', tags, {
        summary: 'Add evidence to an open dispute (a file in base64)',
        description: `PNG or JPEG images, PDF documents or plain text, recognised by their content; at most ${LIMITS.attachmentBytesMax} bytes (5 MB) each and ${LIMITS.attachmentsPerDisputeMax} per dispute. Too large: 413 SUPPORT_ATTACHMENT_TOO_LARGE; another type: 415 SUPPORT_ATTACHMENT_TYPE; nothing is stored. The same file twice answers 200 with the one stored.`,
        params: S.DisputeParams,
        body: S.AddAttachment,
      }),
    },
    async (req, reply) =>
      answer(reply, await disputes.addAttachment(customerOf(req), req.params.id, req.body, ctxOf(req))),
  );

  app.post(
    '/v1/disputes/:id/withdraw',
    change('customer', tags, {
      summary: 'Withdraw an open dispute; a provisional credit is taken back',
      params: S.DisputeParams,
      body: S.Withdraw,
    }),
    async (req, reply) =>
      answer(reply, await disputes.withdraw(customerOf(req), req.params.id, req.body.note, ctxOf(req))),
  );

  app.post(
    '/v1/feedback',
    change('customer', tags, {
      summary:
        'Write to us: a payment problem, a security concern, suspected fraud, account access or a suggestion',
      description: `A person answers within 24 hours; past that the item is escalated. At most ${LIMITS.feedbackPerDayMax} a day.`,
      body: S.NewFeedback,
    }),
    async (req, reply) => answer(reply, await feedback.create(customerOf(req), req.body, ctxOf(req))),
  );

  registerOwnReads(app, '/v1/feedback', feedback, {
    list: 'Your feedback, newest first',
    one: 'One of your feedback items with its messages',
    params: S.FeedbackParams,
  });

  app.post(
    '/v1/feedback/:id/messages',
    change('customer', tags, {
      summary: 'Add to your feedback (not once it is closed)',
      params: S.FeedbackParams,
      body: S.Message,
    }),
    async (req, reply) =>
      answer(
        reply,
        await feedback.customerMessage(customerOf(req), req.params.id, req.body.message, ctxOf(req)),
      ),
  );

  app.post(
    '/v1/feedback/:id/rating',
    change('customer', tags, {
      summary: 'Rate how we helped (1–5), once, after the feedback is closed',
      params: S.FeedbackParams,
      body: S.Rating,
    }),
    async (req, reply) =>
      answer(reply, await feedback.rate(customerOf(req), req.params.id, req.body, ctxOf(req))),
  );

  app.post(
    '/v1/reports',
    change('customer', tags, {
      summary:
        'Report a scam or a compromised account: outgoing payments freeze at once and a priority case opens',
      description:
        'The answer says what happened and what to do next, in English and Simplified Chinese. Unfreezing is done by customer service with a second person approving.',
      body: S.NewReport,
    }),
    async (req, reply) => answer(reply, await reports.report(customerOf(req), req.body, ctxOf(req))),
  );
}

/** What a customer reads of their own records of one kind (disputes, feedback). */
interface OwnRecords {
  listOwn(customerId: string, q: PageQuery): Promise<unknown>;
  customerView(customerId: string, id: string): Promise<unknown>;
}

/** A customer's list of their records of one kind, newest first, and one of them. */
function registerOwnReads(
  app: App,
  path: string,
  records: OwnRecords,
  doc: { list: string; one: string; params: typeof S.DisputeParams | typeof S.FeedbackParams },
): void {
  app.get(path, read('customer', CUSTOMER_TAGS, { summary: doc.list, querystring: S.Page }), async (req) =>
    records.listOwn(customerOf(req), req.query),
  );
  app.get(
    `${path}/:id`,
    read('customer', CUSTOMER_TAGS, { summary: doc.one, params: doc.params }),
    async (req) => records.customerView(customerOf(req), req.params.id),
  );
}

function registerStaffRoutes(app: App, { support }: SupportRouteDeps): void {
  const tags = ['support (staff)'];
  const { disputes, feedback } = support;
  const caseRead: AuthSpec = { permission: 'case.read' };
  const respond: AuthSpec = { permission: 'feedback.respond' };
  app.get(
    '/v1/staff/disputes',
    read(caseRead, tags, {
      summary: 'The dispute queue, soonest due first (filter by status, overdue, due before)',
      querystring: S.DisputeQueue,
    }),
    async (req) => disputes.queue({ ...req.query, dueBefore: instant(req.query.dueBefore, 'dueBefore') }),
  );

  app.get(
    '/v1/staff/disputes/:id',
    read(caseRead, tags, {
      summary: 'A dispute with its case, evidence and provisional credit',
      params: S.DisputeParams,
    }),
    async (req) => disputes.staffView(req.params.id),
  );

  app.get(
    '/v1/staff/disputes/:id/attachments/:attachmentId',
    read(caseRead, tags, { summary: 'Download an attachment of a dispute', params: S.AttachmentParams }),
    async (req, reply) => {
      const a = await disputes.attachment(req.params.id, req.params.attachmentId);
      const safeName = a.filename.replace(/[^A-Za-z0-9._-]/g, '_');
      return reply
        .header('content-type', a.content_type)
        .header('content-disposition', `attachment; filename="${safeName}"`)
        .header('x-content-type-options', 'nosniff')
        .header('x-content-sha256', a.sha256)
        .send(a.content);
    },
  );

  app.post(
    '/v1/disputes/:id/decision',
    change({ permission: 'case.work' }, tags, {
      summary: 'Decide a dispute: upheld or rejected, with the reason the user is shown',
      description:
        'Upheld payment: refunded from the merchant through the refund path (with its risk decision); if the refund cannot be made the answer is 409 SUPPORT_DISPUTE_REFUND_FAILED, the dispute stays open and the cause is on the case timeline. Upheld transfer, refund or withdrawal: a provisional credit becomes final, otherwise the case records the compensation to pay. A provisional credit is reversed when the dispute is rejected or the merchant refunded; if the wallet cannot cover it the decision stands and the failure is on the case timeline for a person.',
      params: S.DisputeParams,
      body: S.Decide,
    }),
    async (req, reply) => answer(reply, await disputes.decide(req.params.id, req.body, staffCtx(req))),
  );

  app.get(
    '/v1/staff/feedback',
    read(caseRead, tags, {
      summary: 'The feedback queue, soonest first-response due first, with the overdue flag',
      querystring: S.FeedbackQueue,
    }),
    async (req) => feedback.queue(req.query),
  );

  app.get(
    '/v1/staff/feedback/summary',
    read(caseRead, tags, {
      summary:
        'Feedback by category and status, median first response, share answered within 24 h, mean rating, weekly trend',
      description: `Items created in [from, to); the last 30 days by default, at most ${LIMITS.summaryRangeDaysMax}.`,
      querystring: S.SummaryQuery,
    }),
    async (req) =>
      support.summary({ from: instant(req.query.from, 'from'), to: instant(req.query.to, 'to') }),
  );

  app.get(
    '/v1/staff/feedback/:id',
    read(caseRead, tags, { summary: 'A feedback item with its messages', params: S.FeedbackParams }),
    async (req) => feedback.staffView(req.params.id),
  );

  app.post(
    '/v1/feedback/:id/reply',
    change(respond, tags, {
      summary: 'Answer a user; the first answer records the first-response time',
      params: S.FeedbackParams,
      body: S.Message,
    }),
    async (req, reply) => answer(reply, await feedback.reply(req.params.id, req.body.message, staffCtx(req))),
  );

  app.post(
    '/v1/feedback/:id/close',
    change(respond, tags, {
      summary: 'Close a feedback item (the user can then rate it)',
      params: S.FeedbackParams,
      body: S.Close,
    }),
    async (req, reply) => answer(reply, await feedback.close(req.params.id, req.body.message, staffCtx(req))),
  );
}

function registerEducationRoutes(app: App): void {
  const tags = ['education'];
  app.get(
    '/v1/education/tips',
    read('public', tags, {
      summary: 'Security tips (phishing, SIM swap, fake customer service, refund scams, codes, passwords…)',
      description:
        'In `?lang=` (en or zh-CN) or the Accept-Language language. With `reasonCodes` (a decision’s codes) only the tips that explain them.',
      querystring: S.LangQuery,
    }),
    async (req, reply) => {
      const lang = languageOf(req.query.lang, req.headers['accept-language']);
      let tips = TIPS;
      if (req.query.reasonCodes !== undefined) {
        const codes = req.query.reasonCodes
          .split(',')
          .map((c) => c.trim())
          .filter((c) => /^[A-Z0-9_]{1,64}$/.test(c));
        if (codes.length > REASON_CODES_MAX) {
          throw new AppError('VALIDATION_FAILED', `At most ${REASON_CODES_MAX} reason codes.`, {
            field: 'reasonCodes',
          });
        }
        tips = tipsFor(codes);
      }
      if (req.query.topic !== undefined) tips = tips.filter((t) => t.topic === req.query.topic);
      void reply.header('content-language', lang);
      return { lang, tips: tips.map((t) => localTip(t, lang)) };
    },
  );

  app.get(
    '/v1/education/faq',
    read('public', tags, {
      summary:
        'Answers to common questions: disputes, provisional credit, reports, unfreezing, held payments',
      querystring: S.FaqQuery,
    }),
    async (req, reply) => {
      const lang = languageOf(req.query.lang, req.headers['accept-language']);
      void reply.header('content-language', lang);
      return { lang, faq: FAQ.map((f) => localFaq(f, lang)) };
    },
  );
}
