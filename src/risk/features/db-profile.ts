import { sql } from 'kysely';
import type { Db } from '../../platform/db.ts';
import {
  AMOUNT_HISTORY_MAX,
  AMOUNT_HISTORY_MS,
  type CustomerFacts,
  type ProfileFacts,
  type ProfileSource,
} from './profile.ts';
import { type FeatureEvent, OUTGOING_TYPES } from './velocity-events.ts';

/**
 * The live profile source: facts from the platform's own tables. Every query is a point
 * lookup or a range on an index with a limit (customers and merchants by key, devices by
 * (subject, device), risk_decisions by (subject_id, created_at), audit_log by (target,
 * seq)), and answers are cached per customer for a short time, because one customer's
 * burst of events should cost one round of queries, not one per event.
 */

const OUTGOING = [...OUTGOING_TYPES];
const PHONE_CHANGE_ACTION = 'identity.phone.change';

export interface DbProfileSourceOptions {
  /** How long cached facts are trusted (default 10 s). */
  ttlMs?: number;
  /** Most entries per cache (default 10,000); the oldest entry goes first. */
  maxEntries?: number;
  /** Wall clock for the cache ages (tests pass a fake). */
  now?: () => number;
}

/** A small map with expiry and a size bound: insertion order is age order. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

export class DbProfileSource implements ProfileSource {
  private readonly customers: TtlCache<Promise<CustomerFacts>>;
  private readonly amounts: TtlCache<Promise<Array<[number, bigint]>>>;
  private readonly payees: TtlCache<Promise<boolean>>;
  private readonly devices: TtlCache<Promise<Date | null>>;
  private readonly merchants: TtlCache<Promise<Date | undefined>>;

  constructor(
    private readonly db: Db,
    options: DbProfileSourceOptions = {},
  ) {
    const ttl = options.ttlMs ?? 10_000;
    const max = options.maxEntries ?? 10_000;
    const now = options.now ?? Date.now;
    this.customers = new TtlCache(ttl, max, now);
    this.amounts = new TtlCache(ttl, max, now);
    this.payees = new TtlCache(ttl, max, now);
    this.devices = new TtlCache(ttl, max, now);
    this.merchants = new TtlCache(ttl, max, now);
  }

  async facts(event: FeatureEvent, at: Date): Promise<ProfileFacts> {
    const when = event.at ?? at;
    const other = event.counterpartyId;
    const [customer, history, payee, known, device, merchant] = await Promise.all([
      this.customer(event.customerId),
      event.currency !== undefined
        ? this.amountHistory(event.customerId, event.currency, when)
        : Promise.resolve([]),
      event.type === 'transfer' && other !== undefined ? this.customer(other) : Promise.resolve(undefined),
      event.type === 'transfer' && other !== undefined
        ? this.knownPayee(event.customerId, other, when)
        : Promise.resolve(false),
      event.deviceId !== undefined ? this.device(event.customerId, event.deviceId) : Promise.resolve(null),
      (event.type === 'payment' || event.type === 'refund') && other !== undefined
        ? this.merchant(other)
        : Promise.resolve(undefined),
    ]);
    const t = when.getTime();
    const facts: ProfileFacts = {
      customer,
      outAmounts: history
        .filter(([at]) => at > t - AMOUNT_HISTORY_MS && at < t)
        .map(([, a]) => a)
        .slice(-AMOUNT_HISTORY_MAX),
    };
    if (payee) facts.payee = { ...payee, known };
    if (event.deviceId !== undefined)
      facts.deviceFirstSeenAt = device && device.getTime() < t ? device : null;
    if ((event.type === 'payment' || event.type === 'refund') && other !== undefined) {
      facts.merchant = { createdAt: merchant };
    }
    return facts;
  }

  /** The tables are written by the wallet and identity code; here only the caches catch up. */
  async observe(event: FeatureEvent, at: Date): Promise<void> {
    if (event.failed) return;
    const when = event.at ?? at;
    const other = event.counterpartyId;
    if (event.type === 'transfer' && other !== undefined) {
      this.payees.set(`${event.customerId}|${other}`, Promise.resolve(true));
    }
    if (event.deviceId !== undefined) {
      const key = `${event.customerId}|${event.deviceId}`;
      const seen = await (this.devices.get(key) ?? this.device(event.customerId, event.deviceId));
      if (!seen) {
        this.devices.set(key, Promise.resolve(when));
        // A device an integrator reports is remembered like one a customer signs in from.
        await this.db
          .insertInto('devices')
          .values({
            subject_id: event.customerId,
            device_id: event.deviceId,
            user_agent: null,
            first_ip: event.ip ?? null,
            last_ip: event.ip ?? null,
            first_seen_at: when,
            last_seen_at: when,
          })
          .onConflict((oc) => oc.columns(['subject_id', 'device_id']).doNothing())
          .execute();
      }
    }
    if (OUTGOING_TYPES.has(event.type) && event.currency !== undefined) {
      const key = `${event.customerId}|${event.currency}`;
      const cached = this.amounts.get(key);
      if (cached) {
        const list = [...(await cached), [when.getTime(), event.amountMinor ?? 0n] as [number, bigint]];
        this.amounts.set(key, Promise.resolve(list.slice(-AMOUNT_HISTORY_MAX)));
      }
    }
    if (event.type === 'password_change' || event.type === 'phone_change' || event.type === 'registration') {
      this.customers.delete(event.customerId);
    }
    // The next event of the customer sees this one's position and, for money out, its time.
    const cached = this.customers.get(event.customerId);
    const lat = event.geo?.lat;
    const lon = event.geo?.lon;
    const located = lat !== undefined && lon !== undefined;
    if (cached && (located || OUTGOING_TYPES.has(event.type))) {
      this.customers.set(
        event.customerId,
        cached.then((f) => ({
          ...f,
          ...(located ? { lastLocation: { lat, lon, at: when } } : {}),
          ...(OUTGOING_TYPES.has(event.type) ? { lastOutAt: when } : {}),
        })),
      );
    }
  }

  /** Caches the promise, so concurrent events of one customer share one query; a failure is not cached. */
  private cached<V>(cache: TtlCache<Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
    const hit = cache.get(key);
    if (hit) return hit;
    const p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    return p;
  }

  private customer(id: string): Promise<CustomerFacts> {
    return this.cached(this.customers, id, async () => {
      const row = await this.db
        .selectFrom('customers')
        .leftJoin('customer_logins', 'customer_logins.customer_id', 'customers.id')
        .select([
          'customers.created_at',
          'customers.kyc_tier',
          'customer_logins.password_changed_at',
          'customer_logins.created_at as login_created_at',
        ])
        .where('customers.id', '=', id)
        .executeTakeFirst();
      if (!row) return {};
      // Independent reads, sent together: the last phone change in the audit log, one pass
      // over the customer's decisions (changes an integrator asked the engine about and went
      // ahead with, the last outgoing movement), and the last known position.
      const [phone, times, located] = await Promise.all([
        this.db
          .selectFrom('audit_log')
          .select('at')
          .where('target_type', '=', 'customer')
          .where('target_id', '=', id)
          .where('action', '=', PHONE_CHANGE_ACTION)
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst(),
        sql<{ pw: Date | null; phone: Date | null; last_out: Date | null }>`
          select
            max(coalesce(event_at, created_at)) filter (
              where event_type = 'password_change' and outcome in ('ALLOW', 'CHALLENGE')) as pw,
            max(coalesce(event_at, created_at)) filter (
              where event_type = 'phone_change' and outcome in ('ALLOW', 'CHALLENGE')) as phone,
            max(coalesce(event_at, created_at)) filter (
              where event_type = any(${OUTGOING}::text[]) and outcome in ('ALLOW', 'REVIEW')) as last_out
          from risk_decisions where subject_id = ${id}`.execute(this.db),
        sql<{ at: Date; lat: number; lon: number }>`
          select coalesce(event_at, created_at) as at, (input->'geo'->>'lat')::float8 as lat,
            (input->'geo'->>'lon')::float8 as lon
          from risk_decisions
          where subject_id = ${id}
            and (outcome in ('ALLOW', 'REVIEW') or (outcome = 'CHALLENGE' and currency is null))
            and input->'geo' ? 'lat' and input->'geo' ? 'lon'
          order by created_at desc limit 1`.execute(this.db),
      ]);
      const t = times.rows[0];
      const at = (d: Date | null | undefined) => (d ? new Date(d) : null);
      const loc = located.rows[0];
      const pw = row.password_changed_at;
      const loginCreated = row.login_created_at;
      // Registration sets the password; only a later change or reset counts as a change.
      const changed = pw && (!loginCreated || pw.getTime() > loginCreated.getTime()) ? pw : null;
      return {
        createdAt: row.created_at,
        kycTier: row.kyc_tier,
        passwordChangedAt: latest(changed, at(t?.pw)),
        phoneChangedAt: latest(phone ? phone.at : null, at(t?.phone)),
        lastLocation: loc ? { lat: Number(loc.lat), lon: Number(loc.lon), at: new Date(loc.at) } : undefined,
        lastOutAt: at(t?.last_out),
      };
    });
  }

  private amountHistory(customerId: string, currency: string, at: Date): Promise<Array<[number, bigint]>> {
    return this.cached(this.amounts, `${customerId}|${currency}`, async () => {
      const rows = await this.db
        .selectFrom('risk_decisions')
        .select(['created_at', 'amount_minor'])
        .where('subject_id', '=', customerId)
        .where('created_at', '>', new Date(at.getTime() - AMOUNT_HISTORY_MS))
        .where('created_at', '<=', at)
        .where('event_type', 'in', OUTGOING)
        // Held movements count as history, as the replay source counts them.
        .where('outcome', 'in', ['ALLOW', 'REVIEW'])
        .where('currency', '=', currency)
        .orderBy('created_at', 'desc')
        .limit(AMOUNT_HISTORY_MAX)
        .execute();
      return rows
        .reverse()
        .map((r): [number, bigint] => [r.created_at.getTime(), BigInt(r.amount_minor ?? 0n)]);
    });
  }

  private knownPayee(customerId: string, payee: string, at: Date): Promise<boolean> {
    return this.cached(this.payees, `${customerId}|${payee}`, async () => {
      const row = await this.db
        .selectFrom('risk_decisions')
        .select('id')
        .where('subject_id', '=', customerId)
        .where('created_at', '<', at)
        .where('event_type', '=', 'transfer')
        .where('outcome', 'in', ['ALLOW', 'REVIEW'])
        .where(sql<string>`input->>'counterpartyId'`, '=', payee)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  private device(customerId: string, deviceId: string): Promise<Date | null> {
    return this.cached(this.devices, `${customerId}|${deviceId}`, async () => {
      const row = await this.db
        .selectFrom('devices')
        .select('first_seen_at')
        .where('subject_id', '=', customerId)
        .where('device_id', '=', deviceId)
        .executeTakeFirst();
      return row ? row.first_seen_at : null;
    });
  }

  private merchant(id: string): Promise<Date | undefined> {
    return this.cached(this.merchants, id, async () => {
      const row = await this.db
        .selectFrom('merchants')
        .select('created_at')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.created_at;
    });
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}
