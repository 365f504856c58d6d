import { sql } from 'kysely';
import type { Logger } from 'pino';
import { ApiClientService } from './access/api-clients.ts';
import { ApprovalService, PersonalData, standardActions } from './access/approvals.ts';
import { installGuard, type RouteAuth } from './access/guard.ts';
import { registerAccessRoutes } from './access/routes.ts';
import { DEFAULT_STAFF_TIMES, StaffService } from './access/staff.ts';
import { TokenService } from './access/tokens.ts';
import { Reserve } from './cases/reserve.ts';
import { registerCaseRoutes } from './cases/routes.ts';
import { CaseService } from './cases/service.ts';
import { registerConsoleRoutes } from './console-api/routes.ts';
import { CustomerAccounts } from './identity/accounts.ts';
import { TotpFactors } from './identity/factors.ts';
import { KycService, SimulatedVerificationProvider } from './identity/kyc.ts';
import { registerKycRoutes } from './identity/kyc-routes.ts';
import { LoginGuard } from './identity/login-guard.ts';
import { OtpService, SimulatedOtpSender } from './identity/otp.ts';
import { registerIdentityRoutes } from './identity/routes.ts';
import { SessionService } from './identity/sessions.ts';
import { StepUpService } from './identity/step-up.ts';
import { tierTable, tierTableFromJson } from './identity/tiers.ts';
import { WebAuthnService } from './identity/webauthn.ts';
import { registerLedgerRoutes } from './ledger/routes.ts';
import { LedgerService } from './ledger/service.ts';
import { LedgerWriter } from './ledger/writer.ts';
import { loadNotifySettings } from './notify/config.ts';
import { NotifyModule } from './notify/module.ts';
import { registerNotifyRoutes } from './notify/routes.ts';
import { SwitchableClock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import { type DbHandle, openDatabase } from './platform/db.ts';
import { type App, createHttp } from './platform/http.ts';
import { eventsDelivered, outboxBacklog, registry } from './platform/metrics.ts';
import { migrateToLatest } from './platform/migrate.ts';
import { OutboxRelay } from './platform/outbox.ts';
import { settingOrRandom } from './platform/settings.ts';
import { registerBacktestRoutes } from './risk/backtest/routes.ts';
import { type BacktestService, startBacktests } from './risk/backtest/service.ts';
import { DEFAULT_FAIL_SAFE, RiskEngine, type RiskModel } from './risk/engine.ts';
import { FeatureComputer } from './risk/features/compute.ts';
import { DbProfileSource } from './risk/features/db-profile.ts';
import { IpRegionTable } from './risk/geo.ts';
import { rebuildVelocity } from './risk/history.ts';
import { applyFraudLabels } from './risk/labels.ts';
import { DEFAULT_LIMIT_POLICY, type LimitPolicyConfig, LimitPolicyGate } from './risk/limit-policy.ts';
import { ModelRegistry } from './risk/model/registry.ts';
import { registerModelRoutes } from './risk/model/routes.ts';
import { registerRiskRoutes } from './risk/routes.ts';
import { DEFAULT_RULE_ENGINE_OPTIONS, RuleEngine } from './risk/rules/evaluate.ts';
import { registerRuleRoutes } from './risk/rules/routes.ts';
import { STARTER_RULES } from './risk/rules/starter.ts';
import { RuleStore } from './risk/rules/store.ts';
import { MemoryVelocityStore } from './risk/velocity/memory-store.ts';
import type { VelocityStore } from './risk/velocity/store.ts';
import { keyProviderFromEnv, keyProviderFromFile } from './security/keys.ts';
import { Vault } from './security/vault.ts';
import { registerSupportRoutes } from './support/routes.ts';
import { SupportService } from './support/service.ts';
import { SimulatedChannel } from './wallet/channels.ts';
import { Directory } from './wallet/directory.ts';
import { FundingService } from './wallet/funding.ts';
import { registerWalletRoutes } from './wallet/routes.ts';
import { holdRejected, WalletService } from './wallet/service.ts';
import { registerConsole } from './web/static.ts';

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
  /** The risk engine every money movement and account event is decided by. */
  engine: RiskEngine;
  /** Back-tests of rule sets over the stored decisions. */
  backtests: BacktestService;
  /** Model versions, champions and challengers (the engine's model unless `options.model` replaces it). */
  models: ModelRegistry;
  velocity: VelocityStore;
  features: FeatureComputer;
  /** Real-name verification (KYC tiers 0–2); tier limits are enforced by the gate. */
  kyc: KycService;
  relay: OutboxRelay;
  /** Field encryption and blind indexes for personal data. */
  vault: Vault;
  channel: SimulatedChannel;
  tokens: TokenService;
  sessions: SessionService;
  apiClients: ApiClientService;
  accounts: CustomerAccounts;
  totp: TotpFactors;
  webauthn: WebAuthnService;
  stepUp: StepUpService;
  loginGuard: LoginGuard;
  otp: OtpService;
  /** Embedded mode's code sender: messages stay in memory (a real gateway replaces it). */
  otpSender: SimulatedOtpSender;
  /** Staff users: activation with MFA, sign-in, roles, disabling. */
  staff: StaffService;
  /** Maker-checker requests for sensitive actions. */
  approvals: ApprovalService;
  /** Reveal of personal values with a stated reason (audited). */
  personal: PersonalData;
  /** Risk rules in CEL: rules, immutable versions and their lifecycle. */
  rules: RuleStore;
  /** The live rule set, compiled; `evaluate(event, features, at)` for the risk engine. */
  ruleEngine: RuleEngine;
  // notify: interface
  /** Notifications: inboxes, webhooks to the operator's systems, e-mail. */
  notify: NotifyModule;
  // cases: interface
  /** Alerts and cases: intake from held and frozen decisions, the queue, case work and its decisions. */
  cases: CaseService;
  /** The risk compensation reserve: funding from fees, payouts to users. */
  reserve: Reserve;
  // support: interface
  /** Disputes, feedback and complaints, self-service scam reports and customer education. */
  support: SupportService;
  /** Every API route with what it requires (permission, customer-only or public). */
  routeAuth: RouteAuth[];
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
  /** The velocity store (Redis in scaled mode); default: in memory, rebuilt from the decisions on start. */
  velocity?: VelocityStore;
  /** A machine-learned score the rules can read (`features.model.*`). */
  model?: RiskModel;
  /** Load the starter rule set on a fresh database (default); tests of other layers turn it off. */
  starterRules?: boolean;
  /** Where addresses are (the demo's simulated networks); default: BULWARK_IP_REGIONS, or none. */
  ipRegions?: IpRegionTable;
}

const SWEEP_INTERVAL_MS = 2_000;
const CUSTODY_INTERVAL_MS = 30_000;
const MODEL_JOBS_INTERVAL_MS = 3_600_000;

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
  const keyProvider = config.keks ? keyProviderFromEnv(config.keks) : keyProviderFromFile(config.keyFile);
  const vault = await Vault.open(db, keyProvider);
  // Tier limits are configuration (BULWARK_KYC_TIERS); a malformed table stops the start.
  const tiers = config.kycTiersJson ? tierTableFromJson(config.kycTiersJson) : tierTable();
  const gate = new LimitPolicyGate(db, options.limits ?? DEFAULT_LIMIT_POLICY, tiers);
  const kyc = new KycService(
    db,
    vault,
    new SimulatedVerificationProvider(),
    gate,
    { deadlineMs: config.kycDeadlineMs, clock },
    log,
  );
  // A state change in this process drops the compiled rule set at once; other processes see it within refreshMs.
  const rules = new RuleStore(db, clock, () => ruleEngine.invalidate());
  const ruleEngine = new RuleEngine(rules, {
    ...DEFAULT_RULE_ENGINE_OPTIONS,
    onProblem: (p) => log.error({ detail: p.detail }, p.message),
  });
  if (options.starterRules !== false) await rules.loadStarter(STARTER_RULES);
  // Back-tests of candidate rule sets over stored decisions, one at a time, in the background.
  const backtests = await startBacktests({ db, rules, engine: ruleEngine, clock, log });
  // The risk engine: limits, features (velocity + profile), model, rules, within a deadline.
  // The model registry: the champion of each scope scores, challengers score in shadow.
  const models = new ModelRegistry({ db, clock, log });
  const velocity: VelocityStore = options.velocity ?? new MemoryVelocityStore();
  if (!options.velocity) await rebuildVelocity(db, velocity, clock.now());
  const features = new FeatureComputer({ velocity, profile: new DbProfileSource(db) });
  const engine = new RiskEngine({
    limits: gate,
    features,
    rules: ruleEngine,
    model: options.model ?? models,
    failSafe: { ...DEFAULT_FAIL_SAFE, deadlineMs: config.riskDeadlineMs },
    ipRegions:
      options.ipRegions ?? (config.ipRegionFile ? IpRegionTable.fromFile(config.ipRegionFile) : undefined),
    now: () => clock.now(),
    log,
  });
  const directory = new Directory(db, ledger);
  const wallet = new WalletService(
    db,
    ledger,
    engine,
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
    engine,
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

  const tokens = await TokenService.open(db, vault, config.accessTokenTtlS);
  const sessions = new SessionService(
    db,
    tokens,
    clock,
    { customerTtlS: config.customerSessionTtlS, staffTtlS: config.staffSessionTtlS },
    log,
  );
  const apiClients = new ApiClientService(db, clock);
  const loginGuard = new LoginGuard(db, clock);
  const totp = new TotpFactors(db, vault, clock);
  const webauthn = new WebAuthnService(db, clock, {
    rpId: config.webauthnRpId,
    rpName: 'Bulwark',
    origins: config.webauthnOrigins,
  });
  const otpSender = new SimulatedOtpSender(clock);
  const otp = new OtpService(db, otpSender, clock, (v) => vault.blindIndex('otp', v));
  const accounts = new CustomerAccounts(
    db,
    vault,
    ledger,
    sessions,
    loginGuard,
    totp,
    otp,
    clock,
    {
      privacyPolicyVersion: config.privacyPolicyVersion,
      scrypt: { ln: config.passwordCostLn, r: 8, p: 1 },
      passwordHistory: 5,
    },
    log,
  );
  const stepUp = new StepUpService(db, clock, {
    totp,
    webauthn,
    otp,
    contacts: (id) => accounts.contacts(id),
    ttlS: config.stepUpTtlS,
  });

  wallet.challenger = stepUp;
  funding.challenger = stepUp;
  funding.onFreeze = (decision) => wallet.enforceFreeze(decision);

  const staff = new StaffService(db, vault, sessions, loginGuard, totp, clock, {
    scrypt: { ln: config.passwordCostLn, r: 8, p: 1 },
    ...DEFAULT_STAFF_TIMES,
  });
  const personal = new PersonalData(db, vault, clock);
  const approvals = new ApprovalService(
    db,
    clock,
    standardActions({
      db,
      vault,
      clock,
      wallet,
      ledger,
      staff,
      personal,
      limitsChanged: (customerId) => gate.forgetCustomer(customerId),
      rules,
      models,
    }),
    { ttlS: config.approvalTtlS },
  );

  // cases: build
  const reserve = new Reserve(
    { db, ledger, clock, log },
    { feeShareBps: Math.min(config.reserveFeeShareBps, 10_000) },
  );
  const cases = new CaseService(
    { db, clock, log, ledger, wallet, funding, engine, approvals, reserve },
    {
      attachmentMaxBytes: config.caseAttachmentMaxBytes,
      compensationApprovalMinor: BigInt(config.compensationApprovalMinor),
    },
  );
  // notify: build
  // Events become inbox items, e-mails and webhook calls; delivery runs from the maintenance round on.
  const notify = new NotifyModule({
    db,
    bus: relay,
    vault,
    clock,
    log,
    settings: loadNotifySettings(process.env),
    emailOf: async (customerId) => (await accounts.contacts(customerId)).email,
  });
  // support: build
  const support = new SupportService({
    db,
    ledger,
    wallet,
    reserve,
    clock,
    log,
    fraudLabelled: (ids, at) => applyFraudLabels(db, engine, ids, at),
  });

  const requestLogging = { enabled: options.logRequests ?? false };
  const app = await createHttp({
    logger: log,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    requestLogging,
  });
  const routeAuth = installGuard(app, { db, tokens, sessions, apiClients, clock, log });
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
  // Identity first: it installs the step-up check the wallet's sensitive routes go through.
  registerIdentityRoutes(app, { db, accounts, sessions, totp, webauthn, stepUp, ledger, funding });
  registerWalletRoutes(app, { wallet, funding, ledger });
  registerAccessRoutes(app, {
    db,
    staff,
    approvals,
    personal,
    apiClients,
    open: (sealed, context) => vault.open(sealed, context),
  });
  registerKycRoutes(app, { kyc });
  registerLedgerRoutes(app, ledger);
  registerConsoleRoutes(app, { db, ledger, vault, clock });
  registerRuleRoutes(app, { store: rules, engine: ruleEngine, approvals });
  registerRiskRoutes(app, { db, engine, stepUp });
  registerBacktestRoutes(app, { service: backtests });
  registerModelRoutes(app, { registry: models, approvals });
  // cases: routes
  registerCaseRoutes(app, { cases, reserve });
  // notify: routes
  registerNotifyRoutes(app, { notify });
  // support: routes
  registerSupportRoutes(app, { support });
  // The console (web/dist) last, so every API route is matched before its fallback page.
  await registerConsole(app);
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
      const owner = (await ledger.ownerOf(hold.accountId)) ?? '';
      const r = await writer.submit({
        type: 'voidHold',
        holdId,
        expire: true,
        reason: 'expired',
        events: () => [holdRejected(hold, owner, 'expired')],
      });
      if (!r.replayed && r.outcome.ok) expiredHolds++;
    }
    const settledWithdrawals = await funding.sweepWithdrawals(now);
    // A key rotation run from the CLI adds a data-key version; pick it up so new values use it.
    await vault.reload(db, keyProvider);
    await approvals.expireDue();
    // cases: maintenance
    // Held and frozen decisions become alerts; the reserve gets its share of new fees.
    await cases.intakeDecisions();
    await cases.releaseRejectedCompensations();
    await reserve.sweepFees();
    // notify: maintenance
    await notify.maintenance();
    // support: maintenance
    // Feedback unanswered for 24 h is escalated and overdue disputes are marked, once each.
    await support.runDue(now);
    // A BLOCK_AND_FREEZE whose freeze a crash interrupted is finished here.
    await wallet.enforcePendingFreezes();
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
    engine,
    backtests,
    models,
    velocity,
    features,
    kyc,
    relay,
    vault,
    channel,
    tokens,
    sessions,
    apiClients,
    accounts,
    totp,
    webauthn,
    stepUp,
    loginGuard,
    otp,
    otpSender,
    staff,
    approvals,
    personal,
    rules,
    ruleEngine,
    routeAuth,
    clock,
    requestLogging,
    // notify: members
    notify,
    // cases: members
    cases,
    reserve,
    // support: members
    support,
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
      // Model drift: the last complete week of each serving model, once (checked hourly);
      // and, every BULWARK_MODEL_RETRAIN_DAYS, a retraining that registers a challenger (never a champion).
      const drift = setInterval(() => {
        void (async () => {
          await models.monitorDrift();
          if (config.modelRetrainDays > 0) {
            const last = await models.lastRegisteredAt();
            const due =
              last === null || clock.now().getTime() - last.getTime() >= config.modelRetrainDays * 86_400_000;
            if (due) await models.retrain();
          }
        })().catch((err: unknown) => log.error({ err }, 'model drift or retraining job failed'));
      }, MODEL_JOBS_INTERVAL_MS);
      drift.unref();
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
      timers.push(sweep, custody, drift);
      void ledger.custodyCheck().catch(() => undefined);
    },
    async close() {
      ready = false;
      for (const t of timers) clearInterval(t);
      await channel.close();
      await backtests.close();
      // notify: close
      await notify.close();
      await app.close();
      await writer.close();
      await relay.stop();
      if (!options.velocity) await velocity.close();
      if (!options.dbHandle) await dbHandle.close();
    },
  };
  return bulwark;
}
