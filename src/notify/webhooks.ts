import { sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { createOnce } from '../platform/create-once.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { type AuditContext, appendAudit, auditOf } from '../security/audit.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import { newWebhookSecret } from './signature.ts';
import { NOTIFY_TOPICS, patternCovers } from './topics.ts';

/** Endpoints one installation may have: each event is one delivery per matching endpoint. */
export const WEBHOOKS_MAX = 50;
export const WEBHOOK_TOPICS_MAX = 20;
const URL_MAX = 2000;
const PATTERN = /^(\*|[a-z][a-z_]*(\.[a-z_]*)*)$/;

export interface WebhookView {
  id: string;
  url: string;
  description: string;
  topics: string[];
  enabled: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface WebhookInput {
  url: string;
  topics: string[];
  description?: string | undefined;
  enabled?: boolean | undefined;
}

export type WebhookPatch = Partial<WebhookInput>;

/** A created endpoint or a new secret: the secret is in this answer only. */
export interface WebhookWithSecret {
  webhook: WebhookView;
  secret: string | null;
}

const secretContext = (id: string) => sealContext('notify_webhooks', 'secret_sealed', id);

/** http(s) only, no credentials in the URL (the signature authenticates), no fragment. */
export function checkWebhookUrl(raw: string): string {
  const invalid = (why: string) => new AppError('NOTIFY_WEBHOOK_URL_INVALID', why, { field: 'url' });
  if (raw.length > URL_MAX) throw invalid(`The URL must be at most ${URL_MAX} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('The URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('The URL must be http or https.');
  if (url.username !== '' || url.password !== '') {
    throw invalid('The URL must not carry credentials; verify the signature instead.');
  }
  if (url.hash !== '') throw invalid('The URL must not have a fragment.');
  return url.toString();
}

/** Each pattern is `*`, a topic prefix (`wallet.`) or a topic, and must cover a topic that exists. */
export function checkTopics(patterns: string[]): string[] {
  const unique = [...new Set(patterns)];
  if (unique.length === 0 || unique.length > WEBHOOK_TOPICS_MAX) {
    throw new AppError('VALIDATION_FAILED', `Name 1 to ${WEBHOOK_TOPICS_MAX} topics.`, { field: 'topics' });
  }
  for (const p of unique) {
    if (!PATTERN.test(p) || !NOTIFY_TOPICS.some((t) => patternCovers(p, t))) {
      throw new AppError('NOTIFY_TOPIC_UNKNOWN', `"${p.slice(0, 80)}" matches no notification topic.`, {
        field: 'topics',
        topics: [...NOTIFY_TOPICS],
      });
    }
  }
  return unique;
}

/**
 * An endpoint as the audit log records it. The URL keeps its scheme, host and path only:
 * a query may hold a token.
 */
function audited(w: { url: string; topics: string[]; enabled: boolean }) {
  const u = new URL(w.url);
  return {
    url: `${u.protocol}//${u.host}${u.pathname}`,
    topics: w.topics.join(' '),
    enabled: String(w.enabled),
  };
}

/** The audit record of a change to an endpoint, in the change's transaction. */
async function audit(
  tx: Tx,
  ctx: AuditContext,
  action: 'create' | 'rotate_secret' | 'update' | 'delete',
  id: string,
  change: Parameters<typeof auditOf>[3],
  now: Date,
): Promise<void> {
  await appendAudit(tx, [auditOf(ctx, `notify.webhook.${action}`, { type: 'webhook', id }, change, now)]);
}

type Row = {
  id: string;
  url: string;
  description: string;
  topics: string[];
  enabled: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
};

function view(r: Row): WebhookView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    topics: r.topics,
    enabled: r.enabled,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    updatedAt: r.updated_at.toISOString(),
  };
}

const COLUMNS = [
  'id',
  'url',
  'description',
  'topics',
  'enabled',
  'created_by',
  'created_at',
  'updated_at',
] as const;

/**
 * The operator's webhook endpoints. The secret is generated here (256 bits), shown once
 * and stored sealed: the worker needs it in clear to sign, so it is encrypted, not hashed.
 * Deleting keeps the row (the delivery log refers to it) and stops every delivery to it.
 */
export class WebhookEndpoints {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<WebhookView[]> {
    const rows = await this.db
      .selectFrom('notify_webhooks')
      .select(COLUMNS)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .limit(WEBHOOKS_MAX)
      .execute();
    return rows.map(view);
  }

  async get(id: string): Promise<WebhookView> {
    return this.find(this.db, id, false);
  }

  /**
   * An endpoint that is not deleted. `locked`: held until the transaction ends, as a change
   * reads the endpoint, merges its patch and writes it back: two changes at once must not
   * both start from the same state, or one of them is lost.
   */
  private async find(db: Db | Tx, id: string, locked: boolean): Promise<WebhookView> {
    let query = db
      .selectFrom('notify_webhooks')
      .select(COLUMNS)
      .where('id', '=', id)
      .where('deleted_at', 'is', null);
    if (locked) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw new AppError('NOTIFY_WEBHOOK_NOT_FOUND');
    return view(row);
  }

  /** An endpoint changed by `make`, which returns its new secret: the secret is in the fresh answer only. */
  private withSecretOnce(
    idem: IdempotencyContext,
    statusCode: number,
    make: () => Promise<{ id: string; secret: string }>,
  ) {
    return createOnce(this.db, idem, async () => {
      const made = await make();
      const webhook = await this.get(made.id);
      const stored: WebhookWithSecret = { webhook, secret: null };
      const fresh: WebhookWithSecret = { webhook, secret: made.secret };
      return { stored: { statusCode, body: stored }, fresh: { statusCode, body: fresh } };
    });
  }

  /** Creates an endpoint; a retry with the same key answers it again without the secret. */
  create(input: WebhookInput, ctx: AuditContext, idem: IdempotencyContext) {
    return this.withSecretOnce(idem, 201, async () => {
      const url = checkWebhookUrl(input.url);
      const topics = checkTopics(input.topics);
      const id = newId('whk');
      const secret = newWebhookSecret();
      const now = this.clock.now();
      const enabled = input.enabled ?? true;
      await this.db.transaction().execute(async (tx) => {
        // One creation at a time counts the endpoints, so the limit holds under concurrency.
        await sql`select pg_advisory_xact_lock(hashtext('notify_webhooks'))`.execute(tx);
        const count = await tx
          .selectFrom('notify_webhooks')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('deleted_at', 'is', null)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= WEBHOOKS_MAX) throw new AppError('NOTIFY_WEBHOOK_LIMIT');
        await tx
          .insertInto('notify_webhooks')
          .values({
            id,
            url,
            description: input.description ?? '',
            topics: JSON.stringify(topics),
            secret_sealed: this.vault.seal(secret, secretContext(id)),
            enabled,
            created_by: ctx.actor?.id ?? 'system',
            created_at: now,
            updated_at: now,
          })
          .execute();
        await audit(tx, ctx, 'create', id, { after: audited({ url, topics, enabled }) }, now);
      });
      return { id, secret };
    });
  }

  /** A new secret; the old one stops signing at once. Shown once, like at creation. */
  rotateSecret(id: string, ctx: AuditContext, idem: IdempotencyContext) {
    return this.withSecretOnce(idem, 200, async () => {
      const secret = newWebhookSecret();
      const now = this.clock.now();
      await this.db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('notify_webhooks')
          .set({ secret_sealed: this.vault.seal(secret, secretContext(id)), updated_at: now })
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (!row) throw new AppError('NOTIFY_WEBHOOK_NOT_FOUND');
        await audit(tx, ctx, 'rotate_secret', id, {}, now);
      });
      return { id, secret };
    });
  }

  /** Changes the URL, topics, description or enabled flag; deliveries already made keep theirs. */
  update(id: string, patch: WebhookPatch, ctx: AuditContext, idem: IdempotencyContext) {
    return runIdempotent(this.db, idem, async (tx) => {
      const before = await this.find(tx, id, true);
      const url = patch.url === undefined ? before.url : checkWebhookUrl(patch.url);
      const topics = patch.topics === undefined ? before.topics : checkTopics(patch.topics);
      const now = this.clock.now();
      await tx
        .updateTable('notify_webhooks')
        .set({
          url,
          topics: JSON.stringify(topics),
          description: patch.description ?? before.description,
          enabled: patch.enabled ?? before.enabled,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      const after = await this.find(tx, id, false);
      await audit(tx, ctx, 'update', id, { before: audited(before), after: audited(after) }, now);
      return { statusCode: 200, body: after };
    });
  }

  /** Deletes an endpoint: nothing more is delivered to it; its delivery log stays readable. */
  remove(id: string, ctx: AuditContext, idem: IdempotencyContext) {
    return runIdempotent(this.db, idem, async (tx) => {
      const before = await this.find(tx, id, true);
      const now = this.clock.now();
      await tx
        .updateTable('notify_webhooks')
        .set({ deleted_at: now, updated_at: now })
        .where('id', '=', id)
        .execute();
      const { url, topics } = audited(before);
      await audit(tx, ctx, 'delete', id, { before: { url, topics } }, now);
      return { statusCode: 200, body: { ...before, enabled: false, deletedAt: now.toISOString() } };
    });
  }

  /** Whether an endpoint exists, deleted or not (its delivery log stays readable). */
  async exists(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('notify_webhooks')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }
}
