import { sql } from 'kysely';
import type { Bulwark } from '../app.ts';
import type { ImportedVerification } from '../identity/kyc.ts';
import type { StoredResponse, SubmitResult } from '../ledger/commands.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { requestHash } from '../platform/idempotency.ts';
import type { Currency } from '../platform/money.ts';
import type { RequestContext } from '../wallet/service.ts';
import {
  CHANNEL,
  CHUNK_MAX,
  CLOCK_READS_PER_STEP,
  type PaymentStep,
  type Plan,
  planDemo,
  SETUP_CHUNK,
  type Step,
} from './demo-plan.ts';

export interface DemoOptions {
  customers: number;
  merchants: number;
  days: number;
  seed: number;
  /** Where the history ends (default: now). Fixing it makes two runs move the same money. */
  endAt?: Date;
}

export const DEMO_DEFAULTS: DemoOptions = { customers: 2000, merchants: 150, days: 60, seed: 42 };

export type MovementType = 'topup' | 'payment' | 'transfer' | 'withdrawal' | 'refund';

export interface DemoSummary {
  customers: number;
  merchants: number;
  /** Money movements attempted through the services (top-ups, payments, transfers, withdrawals, refunds). */
  movements: number;
  /** Movements that took effect: posted, or confirmed by the channel. */
  completed: number;
  /** Movements risk control held for review (a hold, and an entry only once a reviewer approves). */
  held: number;
  /** Movements the risk gate refused. */
  blocked: number;
  /** Movements the ledger or the channel refused (insufficient funds, declined, timed out). */
  failed: number;
  /** Top-ups and withdrawals still waiting for their channel (normally none). */
  pending: number;
  byKind: Record<MovementType, number>;
  reviewsApproved: number;
  reviewsRejected: number;
  /** Journal entries this run added: completed movements plus approved reviews. */
  entries: number;
  from: string;
  to: string;
  durationMs: number;
}

const DEMO_LOADED_KEY = 'demo.loaded_at';

/** Records that a demo load ran to the end, so a later start can tell an interrupted one. */
export async function markDemoLoaded(db: Db): Promise<void> {
  await sql`insert into platform_settings (key, value) values (${DEMO_LOADED_KEY}, ${new Date().toISOString()})
    on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(db);
}

export async function demoLoaded(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('platform_settings')
    .select('key')
    .where('key', '=', DEMO_LOADED_KEY)
    .executeTakeFirst();
  return row !== undefined;
}

export async function hasData(db: Db): Promise<boolean> {
  const row = await db.selectFrom('customers').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Loads the demo data set: registers customers and merchants, then replays `days` of
 * history hour by hour on a simulated clock that ends at the last full hour. Movements
 * the ledger, the channel or the risk gate refuse are counted; any other error propagates.
 */
export async function seedDemo(
  bulwark: Bulwark,
  options: DemoOptions,
  onProgress: (done: number, total: number) => void,
): Promise<DemoSummary> {
  const started = performance.now();
  const plan = planDemo(
    options,
    {
      withdrawalTimeoutMs: bulwark.config.withdrawalTimeoutMs,
      reviewHoldTtlMs: bulwark.config.reviewHoldTtlMs,
    },
    bulwark.gate.tiers,
  );
  const clock = new ChunkClock(plan.start);
  const { channel } = bulwark;
  const autoAnswer = channel.autoAnswer;
  bulwark.clock.use(clock);
  // The seeder answers for the bank itself (flush), so callbacks land in simulated time order.
  channel.autoAnswer = false;
  try {
    const headBefore = await bulwark.ledger.chainHead();
    const seeder = new Seeder(bulwark, options.seed, plan, clock);
    await seeder.register();
    onProgress(0, plan.movements);
    await seeder.replay(onProgress);
    const tally = await seeder.finish();
    const headAfter = await bulwark.ledger.chainHead();
    return {
      customers: plan.customers.length,
      merchants: plan.merchants.length,
      movements: plan.movements,
      ...tally,
      entries: Number(headAfter.seq - headBefore.seq),
      from: new Date(plan.start).toISOString(),
      to: new Date(plan.end).toISOString(),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    channel.autoAnswer = autoAnswer;
    bulwark.clock.reset();
  }
}

/**
 * The simulated clock of the replay. A chunk's requests run concurrently, so instead of
 * one shared instant each reading moves the clock a little further through the chunk's
 * planned span: entries get distinct, increasing times, and it never goes backwards.
 */
class ChunkClock implements Clock {
  private current: number;
  private until: number;
  private stepMs = 0;

  constructor(at: number) {
    this.current = at;
    this.until = at;
  }

  /** The next `reads` readings walk evenly from `from` to `to` (or stay at `to` after). */
  spread(from: number, to: number, reads: number): void {
    this.current = Math.max(this.current, from);
    this.until = Math.max(this.current, to);
    this.stepMs = reads > 0 ? (this.until - this.current) / reads : 0;
  }

  now(): Date {
    const at = Math.floor(this.current);
    this.current = Math.min(this.until, this.current + this.stepMs);
    return new Date(at);
  }
}

type Tally = Pick<
  DemoSummary,
  'completed' | 'held' | 'blocked' | 'failed' | 'pending' | 'byKind' | 'reviewsApproved' | 'reviewsRejected'
>;

/** Verifications are recorded this many customers per transaction. */
const KYC_IMPORT_CHUNK = 500;
const DAY_MS = 86_400_000;

class Seeder {
  private readonly wallets = new Map<string, string>();
  private readonly customerIds = new Map<number, string>();
  private readonly merchantIds = new Map<number, string>();
  private readonly paymentEntries = new Map<PaymentStep, string>();
  private readonly holds = new Map<Step, string>();
  private readonly topupIds: string[] = [];
  private readonly withdrawalIds: string[] = [];
  private readonly tally: Tally = {
    completed: 0,
    held: 0,
    blocked: 0,
    failed: 0,
    pending: 0,
    byKind: { topup: 0, payment: 0, transfer: 0, withdrawal: 0, refund: 0 },
    reviewsApproved: 0,
    reviewsRejected: 0,
  };

  constructor(
    private readonly bulwark: Bulwark,
    private readonly seed: number,
    private readonly plan: Plan,
    private readonly clock: ChunkClock,
  ) {}

  async register(): Promise<void> {
    await inChunks(this.plan.merchants, SETUP_CHUNK, async (m) => {
      const body = { name: m.name, feeBps: m.feeBps, currencies: m.currencies };
      const r = await this.bulwark.wallet.createMerchant(
        body,
        this.ctx(`m${m.index}`, '/v1/merchants', body),
      );
      const id = stringField(r.response.body, 'id');
      if (r.response.statusCode !== 201 || id === undefined) {
        throw new Error(`demo merchant ${m.name} was not created (status ${r.response.statusCode})`);
      }
      this.merchantIds.set(m.index, id);
    });
    await inChunks(this.plan.customers, SETUP_CHUNK, async (c) => {
      const body = { displayName: c.displayName, currencies: c.currencies };
      const r = await this.bulwark.wallet.createCustomer(
        body,
        this.ctx(`c${c.index}`, '/v1/customers', body),
      );
      const wallets = walletsOf(r.response.body);
      if (r.response.statusCode !== 201 || wallets.length !== c.currencies.length) {
        throw new Error(`demo customer ${c.displayName} was not created (status ${r.response.statusCode})`);
      }
      for (const w of wallets) this.wallets.set(`${c.index}:${w.currency}`, w.id);
      const id = stringField(r.response.body, 'id');
      if (id !== undefined) this.customerIds.set(c.index, id);
    });
    await this.verify();
  }

  /**
   * Real-name verification as it stood when the history begins: customers verified a few
   * days to a year earlier, recorded in bulk (sealed, audited) without asking a provider.
   */
  private async verify(): Promise<void> {
    const entries: ImportedVerification[] = [];
    for (const c of this.plan.customers) {
      const customerId = this.customerIds.get(c.index);
      if (c.kycTier === 0 || customerId === undefined) continue;
      const basicVerifiedAt = new Date(this.plan.start - (2 + ((c.index * 37) % 360)) * DAY_MS);
      entries.push({
        customerId,
        tier: c.kycTier,
        name: c.identity.name,
        documentType: c.identity.documentType,
        documentNumber: c.identity.documentNumber,
        basicVerifiedAt,
        ...(c.kycTier === 2 ? { fullVerifiedAt: new Date(basicVerifiedAt.getTime() + DAY_MS) } : {}),
      });
    }
    for (let i = 0; i < entries.length; i += KYC_IMPORT_CHUNK) {
      await this.bulwark.kyc.importVerified(
        entries.slice(i, i + KYC_IMPORT_CHUNK),
        { type: 'system', id: 'demo' },
        'demo',
      );
    }
  }

  async replay(onProgress: (done: number, total: number) => void): Promise<void> {
    let done = 0;
    for (const steps of this.plan.hours) {
      for (let i = 0; i < steps.length; i += CHUNK_MAX) {
        const chunk = steps.slice(i, i + CHUNK_MAX);
        const first = chunk[0];
        const last = chunk[chunk.length - 1];
        if (!first || !last) continue;
        this.clock.spread(first.at, last.at, chunk.length * CLOCK_READS_PER_STEP);
        // Concurrent requests let the ledger writer commit them in a few group commits.
        const settled = await Promise.allSettled(chunk.map((s) => this.step(s)));
        for (const s of settled) if (s.status === 'rejected') throw s.reason;
        if (chunk.some((s) => s.type === 'topup' || s.type === 'withdrawal')) {
          // The bank answers within the hour, well before a withdrawal's hold could expire.
          await this.bulwark.channel.flush();
        }
        done += chunk.filter((s) => s.type !== 'resolve' && s.type !== 'sweep').length;
        onProgress(done, this.plan.movements);
      }
    }
  }

  /** Counts top-ups and withdrawals by the state their channel left them in. */
  async finish(): Promise<Tally> {
    for (const [table, ids] of [
      ['wallet_topups', this.topupIds],
      ['wallet_withdrawals', this.withdrawalIds],
    ] as const) {
      for (const [status, n] of await statusCounts(this.bulwark.dbHandle.db, table, ids)) {
        if (status === 'succeeded') this.tally.completed += n;
        else if (status === 'failed' || status === 'rejected') this.tally.failed += n;
        // Held by a rule the plan did not foresee: it waits for an analyst like any hold.
        else if (status === 'in_review') this.tally.held += n;
        else this.tally.pending += n;
      }
    }
    return this.tally;
  }

  private async step(s: Step): Promise<void> {
    if (s.type !== 'resolve' && s.type !== 'sweep') this.tally.byKind[s.type]++;
    try {
      await this.perform(s);
    } catch (err) {
      // An expected refusal (an AppError) is part of the story; anything else is a bug.
      if (!(err instanceof AppError)) throw err;
      if (s.type !== 'resolve' && s.type !== 'sweep') this.tally.failed++;
    }
  }

  private async perform(s: Step): Promise<void> {
    const { wallet, funding } = this.bulwark;
    switch (s.type) {
      case 'topup': {
        const body = {
          walletId: this.wallet(s.customer, s.currency),
          amountMinor: s.amountMinor.toString(),
          currency: s.currency,
          channel: CHANNEL,
        };
        const r = await funding.topup(body, this.ctx(s.n, '/v1/topups', body));
        this.funding(r.response, this.topupIds);
        return;
      }
      case 'withdrawal': {
        const customer = this.plan.customers[s.customer];
        if (!customer) throw new Error(`demo customer ${s.customer} is not in the plan`);
        const body = {
          walletId: this.wallet(s.customer, s.currency),
          amountMinor: s.amountMinor.toString(),
          currency: s.currency,
          channel: CHANNEL,
          bankAccount: { accountNumber: customer.bankAccountNumber, holderName: customer.displayName },
        };
        const r = await funding.withdraw(body, this.ctx(s.n, '/v1/withdrawals', body));
        this.funding(responseOf(r), this.withdrawalIds);
        return;
      }
      case 'payment': {
        const body = {
          walletId: this.wallet(s.customer, s.currency),
          merchantId: this.merchant(s.merchant),
          amountMinor: s.amountMinor.toString(),
          currency: s.currency,
          ...(s.orderRef ? { orderRef: s.orderRef } : {}),
        };
        this.movement(s, responseOf(await wallet.pay(body, this.ctx(s.n, '/v1/payments', body))));
        return;
      }
      case 'transfer': {
        const body = {
          fromWalletId: this.wallet(s.from, s.currency),
          toWalletId: this.wallet(s.to, s.currency),
          amountMinor: s.amountMinor.toString(),
          currency: s.currency,
          memo: s.memo,
        };
        this.movement(s, responseOf(await wallet.transfer(body, this.ctx(s.n, '/v1/transfers', body))));
        return;
      }
      case 'refund': {
        const paymentId = this.paymentEntries.get(s.payment);
        if (paymentId === undefined) {
          // The payment it would refund did not complete; the plan never expects this.
          this.tally.failed++;
          return;
        }
        const body = {
          reason: s.reason,
          ...(s.amountMinor !== undefined ? { amountMinor: s.amountMinor.toString() } : {}),
        };
        const path = `/v1/payments/${paymentId}/refunds`;
        this.movement(s, responseOf(await wallet.refund(paymentId, body, this.ctx(s.n, path, body))));
        return;
      }
      case 'resolve': {
        const holdId = this.holds.get(s.review);
        if (holdId === undefined) return;
        const body = {
          reason: s.approve ? 'reviewed: customer confirmed' : 'reviewed: customer did not confirm',
        };
        const path = `/v1/holds/${holdId}/${s.approve ? 'post' : 'void'}`;
        const ctx = this.ctx(s.n, path, body);
        const r = s.approve
          ? await wallet.postHold(holdId, body, ctx)
          : await wallet.voidHold(holdId, body, ctx);
        if (responseOf(r).statusCode === 200) {
          if (s.approve) this.tally.reviewsApproved++;
          else this.tally.reviewsRejected++;
        }
        return;
      }
      case 'sweep':
        await funding.sweepWithdrawals(this.clock.now());
        return;
      default: {
        const exhaustive: never = s;
        throw new Error(`unknown step ${String(exhaustive)}`);
      }
    }
  }

  private movement(s: Step, res: StoredResponse): void {
    if (res.statusCode === 201) {
      this.tally.completed++;
      const entryId = stringField(res.body, 'entryId');
      if (s.type === 'payment' && entryId !== undefined) this.paymentEntries.set(s, entryId);
    } else if (res.statusCode === 202) {
      this.tally.held++;
      const holdId = stringField(res.body, 'holdId');
      if (holdId !== undefined) this.holds.set(s, holdId);
    } else if (isBlocked(res)) {
      this.tally.blocked++;
    } else {
      this.tally.failed++;
    }
  }

  /** A top-up or withdrawal accepted now is counted once its channel has answered (finish). */
  private funding(res: StoredResponse, accepted: string[]): void {
    const id = stringField(res.body, 'id');
    if (res.statusCode === 202 && id !== undefined) accepted.push(id);
    else if (isBlocked(res)) this.tally.blocked++;
    else this.tally.failed++;
  }

  private wallet(customer: number, currency: Currency): string {
    const id = this.wallets.get(`${customer}:${currency}`);
    if (id === undefined) throw new Error(`demo customer ${customer} has no ${currency} wallet`);
    return id;
  }

  private merchant(index: number): string {
    const id = this.merchantIds.get(index);
    if (id === undefined) throw new Error(`demo merchant ${index} was not registered`);
    return id;
  }

  private ctx(n: number | string, path: string, body: unknown): RequestContext {
    return {
      idem: { scope: 'api', key: `demo-${this.seed}-${n}`, requestHash: requestHash('POST', path, body) },
    };
  }
}

async function inChunks<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function statusCounts(
  db: Db,
  table: 'wallet_topups' | 'wallet_withdrawals',
  ids: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await sql<{ status: string; n: bigint }>`
      select status, count(*)::int8 as n from ${sql.table(table)}
      where id = any(${ids.slice(i, i + 1000)}::text[]) group by status`.execute(db);
    for (const r of rows.rows) counts.set(r.status, (counts.get(r.status) ?? 0) + Number(r.n));
  }
  return counts;
}

function responseOf(r: SubmitResult): StoredResponse {
  if (r.replayed) return r.response;
  if (r.response) return r.response;
  throw new Error('a money movement came back without a response');
}

function isBlocked(res: StoredResponse): boolean {
  return res.statusCode === 422 && stringField(res.body, 'code') === 'RISK_BLOCKED';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: unknown, key: string): string | undefined {
  if (!isRecord(body)) return undefined;
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
}

function walletsOf(body: unknown): Array<{ id: string; currency: string }> {
  if (!isRecord(body) || !Array.isArray(body.wallets)) return [];
  const list: Array<{ id: string; currency: string }> = [];
  for (const w of body.wallets) {
    const id = stringField(w, 'id');
    const currency = stringField(w, 'currency');
    if (id !== undefined && currency !== undefined) list.push({ id, currency });
  }
  return list;
}
