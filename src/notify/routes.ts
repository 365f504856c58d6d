import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import {
  type AuthSpec,
  actorOf,
  assertActsFor,
  principalOf,
  requestMetaOf,
  staffOf,
} from '../access/principal.ts';
import type { StoredResponse } from '../ledger/commands.ts';
import { AppError } from '../platform/errors.ts';
import { type App, IdempotencyHeaders, idempotencyOf, sendStored } from '../platform/http.ts';
import type { AuditContext } from '../security/audit.ts';
import { Problem } from '../wallet/schemas.ts';
import { langOf } from './format.ts';
import type { NotifyModule } from './module.ts';
import { DEFAULT_TOLERANCE_S } from './signature.ts';
import { NOTIFY_TOPICS } from './topics.ts';
import { WEBHOOK_TOPICS_MAX } from './webhooks.ts';

export interface NotifyRouteDeps {
  notify: NotifyModule;
}

const problems = { '4xx': Problem, '5xx': Problem };
const INBOX_TAGS = ['notifications'];
const TAGS = ['notify'];

const idOf = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9a-z]{26}$` });
const params = (prefix: string) => Type.Object({ id: idOf(prefix) });
const Cursor = Type.String({ maxLength: 160, description: 'nextCursor of the previous page.' });
const Limit = Type.Integer({ minimum: 1, maximum: 100, description: 'Page size (default 20).' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Notification = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  title: Type.String(),
  body: Type.String(),
  language: Type.Union([Type.Literal('en'), Type.Literal('zh-CN')]),
  data: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(),
  readAt: Nullable(Type.String()),
});
const InboxPage = Type.Object({
  notifications: Type.Array(Notification),
  unreadCount: Type.Integer({ description: 'Unread items, counted up to 10000.' }),
  nextCursor: Nullable(Type.String()),
});
const InboxQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    unread: Type.Optional(Type.Boolean({ description: 'Only unread items.' })),
  },
  { additionalProperties: false },
);
const Marked = Type.Object({ marked: Type.Integer() });

const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  topics: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  deletedAt: Type.Optional(Type.String()),
});
const WebhookWithSecret = Type.Object({
  webhook: Webhook,
  secret: Nullable(
    Type.String({ description: 'The signing secret, in this answer only (null when replayed).' }),
  ),
});
const Topics = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: 100,
    description: '`*`, a topic prefix such as `wallet.` or `support.dispute.`, or a topic.',
  }),
  { minItems: 1, maxItems: WEBHOOK_TOPICS_MAX },
);
const Url = Type.String({
  minLength: 8,
  maxLength: 2000,
  description: 'http or https, without credentials.',
});
const Description = Type.String({ maxLength: 200 });

const Attempt = Type.Object({
  attempt: Type.Integer(),
  startedAt: Type.String(),
  durationMs: Type.Integer(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  outcome: Type.String(),
  error: Nullable(Type.String()),
});
const Delivery = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  topic: Type.String(),
  channel: Type.String(),
  targetId: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  log: Type.Array(Attempt),
});
const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
]);
const Email = Type.Object({
  id: Type.String(),
  deliveryId: Type.String(),
  recipientId: Type.String(),
  to: Type.String({ description: 'Masked.' }),
  subject: Type.String(),
  text: Type.String(),
  messageId: Type.String(),
  createdAt: Type.String(),
});

/** Answers in the caller's language, and tells caches that the answer depends on it. */
function languageOf(req: FastifyRequest, reply: FastifyReply) {
  const lang = langOf(req.headers['accept-language']);
  void reply.header('content-language', lang).header('vary', 'Accept-Language');
  return lang;
}

const auditCtx = (req: FastifyRequest): AuditContext => ({ actor: actorOf(req), ...requestMetaOf(req) });

interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
}

/** The options of a route that reads: who may call it, its OpenAPI text, its schemas and answers. */
function read<D extends RouteDoc, R extends Record<number, TSchema>>(auth: AuthSpec, doc: D, response: R) {
  return { config: { auth }, schema: { ...doc, response: { ...response, ...problems } } };
}

/** The options of a route that changes something: as a read, and it takes an Idempotency-Key. */
function change<D extends RouteDoc, R extends Record<number, TSchema>>(auth: AuthSpec, doc: D, response: R) {
  return read(auth, { headers: IdempotencyHeaders, ...doc }, response);
}

/** Sends a change's answer (marked when it is a replay). */
function answer(reply: FastifyReply, r: { replayed: boolean; response: StoredResponse }): FastifyReply {
  return sendStored(reply, r.response, r.replayed);
}

/** An answer that holds a secret shown once must not be kept by any cache on the way. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

const READ: AuthSpec = { permission: 'notify.read' };
const MANAGE: AuthSpec = { permission: 'notify.manage' };

/**
 * Inboxes (customers under /v1/me, staff under /v1/staff/me, and the inbox of a customer
 * or merchant for those allowed to read them), and the operator's side: webhook endpoints,
 * their delivery log and redelivery, and the embedded mailbox.
 */
export function registerNotifyRoutes(app: App, deps: NotifyRouteDeps): void {
  registerInboxRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerDeliveryRoutes(app, deps);
}

function registerInboxRoutes(app: App, { notify }: NotifyRouteDeps): void {
  const tags = INBOX_TAGS;
  const inbox = (
    base: string,
    auth: 'customer' | 'staff',
    who: string,
    recipientOf: (req: FastifyRequest) => string,
  ) => {
    app.get(
      base,
      read(
        auth,
        {
          tags,
          summary: `${who} notifications, newest first, with the unread count`,
          description:
            'Texts are in the language of Accept-Language: Simplified Chinese when it prefers zh, English otherwise.',
          querystring: InboxQuery,
        },
        { 200: InboxPage },
      ),
      async (req, reply) => notify.inbox.list(recipientOf(req), req.query, languageOf(req, reply)),
    );
    app.post(
      `${base}/read-all`,
      read(
        auth,
        {
          tags,
          summary: `Mark all ${who.toLowerCase()} unread notifications read`,
          description: 'Safe to repeat; marks at most 10000 per call.',
        },
        { 200: Marked },
      ),
      async (req) => notify.inbox.markAllRead(recipientOf(req)),
    );
    app.post(
      `${base}/:id/read`,
      read(
        auth,
        {
          tags,
          summary: `Mark one of ${who.toLowerCase()} notifications read`,
          description: 'Safe to repeat: the first reading time stays.',
          params: params('ntf'),
        },
        { 200: Notification },
      ),
      async (req, reply) => notify.inbox.markRead(recipientOf(req), req.params.id, languageOf(req, reply)),
    );
  };
  inbox('/v1/me/notifications', 'customer', 'My', (req) => principalOf(req).id);
  inbox('/v1/staff/me/notifications', 'staff', "The signed-in staff user's", (req) => staffOf(req).id);

  app.get(
    '/v1/customers/:id/notifications',
    read(
      { permission: 'customer.read' },
      {
        tags,
        summary: "A customer's notifications (for an integrator's app, or support)",
        params: params('cus'),
        querystring: InboxQuery,
      },
      { 200: InboxPage },
    ),
    async (req, reply) => {
      assertActsFor(req, req.params.id);
      return notify.inbox.list(req.params.id, req.query, languageOf(req, reply));
    },
  );

  app.get(
    '/v1/merchants/:id/notifications',
    read(
      { permission: 'merchant.read' },
      {
        tags,
        summary: "A merchant's notifications: disputes about its payments, freezes",
        params: params('mer'),
        querystring: InboxQuery,
      },
      { 200: InboxPage },
    ),
    async (req, reply) => notify.inbox.list(req.params.id, req.query, languageOf(req, reply)),
  );
}

function registerWebhookRoutes(app: App, { notify }: NotifyRouteDeps): void {
  const tags = TAGS;
  const { webhooks } = notify;
  app.get(
    '/v1/notify/topics',
    read(
      READ,
      { tags, summary: 'The topics webhooks can subscribe to' },
      { 200: Type.Object({ topics: Type.Array(Type.String()) }) },
    ),
    async () => ({ topics: [...NOTIFY_TOPICS] }),
  );

  app.get(
    '/v1/notify/webhooks',
    read(
      READ,
      { tags, summary: 'Webhook endpoints (without their secrets)' },
      { 200: Type.Object({ webhooks: Type.Array(Webhook) }) },
    ),
    async () => ({ webhooks: await webhooks.list() }),
  );

  app.post(
    '/v1/notify/webhooks',
    change(
      MANAGE,
      {
        tags,
        summary: 'Add a webhook endpoint; its signing secret is shown once',
        description: `Every event of a matching topic is POSTed as JSON, signed with \`Bulwark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>\`; receivers should refuse a t more than ${DEFAULT_TOLERANCE_S} s from their clock. \`Bulwark-Delivery\` is the same on every retry: deduplicate on it. A retry of this request with the same Idempotency-Key answers the endpoint without its secret.`,
        body: Type.Object(
          {
            url: Url,
            topics: Topics,
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
      },
      { 201: WebhookWithSecret },
    ),
    async (req, reply) =>
      answer(noStore(reply), await webhooks.create(req.body, auditCtx(req), idempotencyOf(req))),
  );

  app.get(
    '/v1/notify/webhooks/:id',
    read(READ, { tags, summary: 'One webhook endpoint', params: params('whk') }, { 200: Webhook }),
    async (req) => webhooks.get(req.params.id),
  );

  app.post(
    '/v1/notify/webhooks/:id',
    change(
      MANAGE,
      {
        tags,
        summary: "Change a webhook endpoint's URL, topics, description or enabled flag",
        description:
          'Deliveries already made keep their endpoint; a disabled endpoint gets nothing and its pending deliveries fail (redeliver them once it is enabled again).',
        params: params('whk'),
        body: Type.Object(
          {
            url: Type.Optional(Url),
            topics: Type.Optional(Topics),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
      { 200: Webhook },
    ),
    async (req, reply) =>
      answer(reply, await webhooks.update(req.params.id, req.body, auditCtx(req), idempotencyOf(req))),
  );

  app.post(
    '/v1/notify/webhooks/:id/rotate-secret',
    change(
      MANAGE,
      {
        tags,
        summary: 'Give a webhook endpoint a new signing secret (shown once); the old one stops at once',
        params: params('whk'),
      },
      { 200: WebhookWithSecret },
    ),
    async (req, reply) =>
      answer(noStore(reply), await webhooks.rotateSecret(req.params.id, auditCtx(req), idempotencyOf(req))),
  );

  app.post(
    '/v1/notify/webhooks/:id/delete',
    change(
      MANAGE,
      {
        tags,
        summary: 'Delete a webhook endpoint: nothing more goes to it; its delivery log stays readable',
        params: params('whk'),
      },
      { 200: Webhook },
    ),
    async (req, reply) =>
      answer(reply, await webhooks.remove(req.params.id, auditCtx(req), idempotencyOf(req))),
  );
}

function registerDeliveryRoutes(app: App, { notify }: NotifyRouteDeps): void {
  const tags = TAGS;
  app.get(
    '/v1/notify/webhooks/:id/deliveries',
    read(
      READ,
      {
        tags,
        summary:
          "An endpoint's deliveries, newest first, each with its attempts (status code, duration, error)",
        params: params('whk'),
        querystring: Type.Object(
          {
            status: Type.Optional(DeliveryStatus),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Cursor),
          },
          { additionalProperties: false },
        ),
      },
      { 200: Type.Object({ deliveries: Type.Array(Delivery), nextCursor: Nullable(Type.String()) }) },
    ),
    async (req) => {
      if (!(await notify.webhooks.exists(req.params.id))) throw new AppError('NOTIFY_WEBHOOK_NOT_FOUND');
      return notify.deliveries.forWebhook(req.params.id, req.query);
    },
  );

  app.get(
    '/v1/notify/deliveries/:id',
    read(
      READ,
      { tags, summary: 'One delivery (webhook or e-mail) with its attempts', params: params('dlv') },
      { 200: Delivery },
    ),
    async (req) => notify.deliveries.get(req.params.id),
  );

  app.post(
    '/v1/notify/deliveries/:id/redeliver',
    change(
      MANAGE,
      {
        tags,
        summary: 'Send a delivered or failed delivery once more, with the same id and body (202)',
        description:
          'The receiver sees the same Bulwark-Delivery id (or e-mail Message-ID) as before. A delivery still pending or being sent answers 409 NOTIFY_DELIVERY_STATE.',
        params: params('dlv'),
      },
      { 202: Delivery },
    ),
    async (req, reply) => {
      const r = await notify.deliveries.redeliver(req.params.id, auditCtx(req), idempotencyOf(req));
      if (!r.replayed && notify.worker.started) notify.worker.kick();
      return answer(reply, r);
    },
  );

  app.get(
    '/v1/notify/emails',
    read(
      READ,
      {
        tags,
        summary: 'The embedded mailbox: e-mails kept instead of sent when no SMTP server is configured',
        description: 'Newest first; addresses masked. `mailer` says where e-mails go in this process.',
        querystring: Type.Object(
          { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
          { additionalProperties: false },
        ),
      },
      {
        200: Type.Object({
          mailer: Type.Union([Type.Literal('smtp'), Type.Literal('mailbox')]),
          emails: Type.Array(Email),
          nextCursor: Nullable(Type.String()),
        }),
      },
    ),
    async (req) => ({ mailer: notify.mailer.kind, ...(await notify.deliveries.emails(req.query)) }),
  );
}
