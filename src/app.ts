import { sql } from 'kysely';
import type { Logger } from 'pino';
import { registerLedgerRoutes } from './ledger/routes.ts';
import { LedgerService } from './ledger/service.ts';
import { LedgerWriter } from './ledger/writer.ts';
import { SwitchableClock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import { type DbHandle, openDatabase } from './platform/db.ts';
import { type App, createHttp } from './platform/http.ts';
import { eventsDelivered, outboxBacklog, registry } from './platform/metrics.ts';
import { migrateToLatest } from './platform/migrate.ts';
import { OutboxRelay } from './platform/outbox.ts';
import { settingOrRandom } from './platform/settings.ts';
import { DEFAULT_LIMIT_POLICY, type LimitPolicyConfig, LimitPolicyGate } from './risk/limit-policy.ts';
import { keyProviderFromEnv, keyProviderFromFile } from './security/keys.ts';
import { Vault } from './security/vault.ts';
import { SimulatedChannel } from './wallet/channels.ts';
import { Directory } from './wallet/directory.ts';
import { FundingService } from './wallet/funding.ts';
import { registerWalletRoutes } from './wallet/routes.ts';
import { WalletService } from './wallet/service.ts';

export interface Bulwark {
  config: Config;
  log: Logger;
  dbHandle: DbHandle;
  app: App;
  ledger: LedgerService;
  writer: LedgerWriter;
  wallet: WalletService;
  funding: FundingService;
  gate: LimitPolicyGate;
  relay: OutboxRelay;
  /** Field encryption and blind indexes for personal data. */
  vault: Vault;
  channel: SimulatedChannel;
  /** Request lines are logged while this is on (serve turns it on once the demo data is loaded). */
  requestLogging: { enabled: boolean };
  /** The clock every movement is stamped with; the demo seeder swaps in a simulated one. */
  clock: SwitchableClock;
  /** Runs the periodic jobs (hold expiry, withdrawal deadlines, custody check, outbox). */
  startBackground(): void;
  /** One round of the periodic jobs, for tests and the CLI. */
  runMaintenance(now?: Date): Promise<{ expiredHolds: number; settledWithdrawals: number }>;
  close(): Promise<void>;
}

export interface BuildOptions {
  config: Config;
  log: Logger;
  /** An already opened database (tests share one); otherwise opened from the config. */
  dbHandle?: DbHandle;
  limits?: LimitPolicyConfig;
  logRequests?: boolean;
}

const SWEEP_INTERVAL_MS = 2_000;
const CUSTODY_INTERVAL_MS = 30_000;

/** Builds the whole process: database, migrations, modules, HTTP routes. Listening is the caller's choice. */
export async function buildBulwark(options: BuildOptions): Promise<Bulwark> {
  const { config, log } = options;
  const dbHandle =
    options.dbHandle ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir }));
  const { db } = dbHandle;
  await migrateToLatest(db);

  const relay = new OutboxRelay(db, log);
  // Counting deliveries by topic is the first consumer; AML, cases and notifications subscribe later.
  relay.subscribe('', (event) => {
    eventsDelivered.inc({ topic: event.topic });
  });
  const clock = new SwitchableClock();
  const writer = new LedgerWriter(db, log, {
    batchMax: config.ledgerBatchMax,
    queueMax: config.ledgerQueueMax,
    afterCommit: () => relay.kick(),
    clock,
  });
  const ledger = new LedgerService(db, writer);
  await ledger.ensureSystemAccounts();
  const vault = await Vault.open(
    db,
    config.keks ? keyProviderFromEnv(config.keks) : keyProviderFromFile(config.keyFile),
  );
  const gate = new LimitPolicyGate(db, options.limits ?? DEFAULT_LIMIT_POLICY);
  const directory = new Directory(db, ledger);
  const wallet = new WalletService(
    db,
    ledger,
    gate,
    directory,
    { reviewHoldTtlMs: config.reviewHoldTtlMs, clock },
    log,
  );
  const channelSecret =
    process.env.CHANNEL_SIMBANK_SECRET ?? (await settingOrRandom(db, 'channel.simbank.secret'));
  const fingerprintKey = await settingOrRandom(db, 'wallet.fingerprint.key');
  const funding = new FundingService(
    db,
    ledger,
    gate,
    directory,
    {
      withdrawalTimeoutMs: config.withdrawalTimeoutMs,
      reviewHoldTtlMs: config.reviewHoldTtlMs,
      fingerprintKey,
      clock,
      vault,
    },
    log,
  );
  const channel = new SimulatedChannel(channelSecret, config.channelDelayMs, log);
  funding.addChannel(channel);

  const requestLogging = { enabled: options.logRequests ?? false };
  const app = await createHttp({
    logger: log,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    requestLogging,
  });
  let ready = true;
  app.get('/health/live', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/health/ready',
    { schema: { tags: ['health'], summary: 'The database answers and the ledger accepts work' } },
    async (_req, reply) => {
      try {
        await sql`select 1`.execute(db);
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: 'down' });
      }
      return ready
        ? { status: 'ready', database: dbHandle.kind }
        : reply.code(503).send({ status: 'closing' });
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    outboxBacklog.set(await relay.backlog());
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  registerWalletRoutes(app, { wallet, funding, ledger });
  registerLedgerRoutes(app, ledger);
  await app.ready();

  // The simulated bank calls back through the same HTTP path (and signature check) as a real one.
  channel.connect(async (rawBody, signature) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/channels/${channel.name}/callbacks`,
      headers: { 'content-type': 'application/json', 'bulwark-signature': signature },
      payload: rawBody,
    });
    return res.statusCode;
  });

  const timers: NodeJS.Timeout[] = [];
  let maintenanceRunning = false;
  const runMaintenance = async (now = new Date()) => {
    let expiredHolds = 0;
    for (const holdId of await ledger.expiredHoldIds(now, 500)) {
      const hold = await ledger.getHold(holdId);
      if (hold.kind === 'withdrawal') continue;
      const r = await writer.submit({ type: 'voidHold', holdId, expire: true, reason: 'expired' });
      if (!r.replayed && r.outcome.ok) expiredHolds++;
    }
    const settledWithdrawals = await funding.sweepWithdrawals(now);
    // Delivered outbox rows are kept a day for inspection, then removed in bounded chunks.
    // Only the oldest rows are looked at, so the delete costs the same however large the table is.
    await sql`delete from outbox where id in (select id from outbox order by id limit 5000)
      and published_at < now() - interval '1 day'`.execute(db);
    return { expiredHolds, settledWithdrawals };
  };

  const bulwark: Bulwark = {
    config,
    log,
    dbHandle,
    app,
    ledger,
    writer,
    wallet,
    funding,
    gate,
    relay,
    vault,
    channel,
    clock,
    requestLogging,
    runMaintenance,
    startBackground() {
      relay.start();
      const sweep = setInterval(() => {
        if (maintenanceRunning) return;
        maintenanceRunning = true;
        runMaintenance()
          .catch((err: unknown) => log.error({ err }, 'maintenance round failed'))
          .finally(() => {
            maintenanceRunning = false;
          });
      }, SWEEP_INTERVAL_MS);
      const custody = setInterval(() => {
        ledger
          .custodyCheck()
          .then((r) => {
            if (!r.ok)
              log.error(
                { currencies: r.currencies.filter((c) => c.differenceMinor !== 0n).map((c) => c.currency) },
                'custody check failed',
              );
          })
          .catch((err: unknown) => log.error({ err }, 'custody check could not run'));
      }, CUSTODY_INTERVAL_MS);
      sweep.unref();
      custody.unref();
      timers.push(sweep, custody);
      void ledger.custodyCheck().catch(() => undefined);
    },
    async close() {
      ready = false;
      for (const t of timers) clearInterval(t);
      await channel.close();
      await app.close();
      await writer.close();
      await relay.stop();
      if (!options.dbHandle) await dbHandle.close();
    },
  };
  return bulwark;
}
