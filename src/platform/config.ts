import { resolve } from 'node:path';

/** Process configuration, read once from the environment; every value has a documented default. */
export interface Config {
  /** PostgreSQL connection string; absent means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  /** Requests per minute per client before 429; 0 disables the limiter. */
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  /** Simulated channel: delay before it answers with its signed callback. */
  channelDelayMs: number;
  /** Withdrawals whose channel has not answered by then are released. */
  withdrawalTimeoutMs: number;
  /** Holds placed for review expire (and are voided) after this long. */
  reviewHoldTtlMs: number;
  /** Group commit: most commands applied in one database transaction. */
  ledgerBatchMax: number;
  /** Load shedding: commands waiting for the ledger writer beyond this are refused with 503. */
  ledgerQueueMax: number;
  /** KEKs from the environment (`BULWARK_KEKS`, scaled mode); absent means the local key file. */
  keks: string | undefined;
  /** Embedded mode's key-encryption key, created on first start with mode 0600. */
  keyFile: string;
  /** Lifetime of an access token (seconds); refresh tokens renew it. */
  accessTokenTtlS: number;
  /** Lifetime of a customer session (seconds) before signing in again is required. */
  customerSessionTtlS: number;
  /** Lifetime of a staff session (seconds): one working day. */
  staffSessionTtlS: number;
  /** A step-up challenge, and the proof it yields, stay valid this long (seconds). */
  stepUpTtlS: number;
  /** KYC tier limits as JSON (major units per tier and currency); absent means the defaults. */
  kycTiersJson: string | undefined;
  /** How long the KYC provider may take to answer before the attempt fails with 503. */
  kycDeadlineMs: number;
  /** Maker-checker requests expire unapproved after this long (seconds). */
  approvalTtlS: number;
  /** scrypt cost (log2 N) for password hashes. */
  passwordCostLn: number;
  /** The privacy policy version registrations must accept (consent is recorded with it). */
  privacyPolicyVersion: string;
  /** WebAuthn relying party: the site's domain, and the origins passkeys are used from. */
  webauthnRpId: string;
  webauthnOrigins: string[];
  /** Milliseconds the risk engine's feature sources and model get before the fail-safe policy decides. */
  riskDeadlineMs: number;
  /** Days between scheduled retrainings of the fraud model (the result is a challenger); 0 turns them off. */
  modelRetrainDays: number;
  /** An IP region table (CSV: start_ip,end_ip,country,region,lat,lon) for events without a position. */
  ipRegionFile: string | undefined;
  /** Share of fee revenue the maintenance round moves into the risk compensation reserve, in basis points. */
  reserveFeeShareBps: number;
  /** Compensations above this many minor units need a second person (maker-checker). */
  compensationApprovalMinor: number;
  /** Largest file accepted on a case, in bytes. */
  caseAttachmentMaxBytes: number;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.BULWARK_DATA_DIR ?? './data'),
    host: env.HOST ?? '127.0.0.1',
    port: intFromEnv(env, 'PORT', 3000),
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: intFromEnv(env, 'RATE_LIMIT_PER_MINUTE', 600),
    bodyLimitBytes: intFromEnv(env, 'BODY_LIMIT_BYTES', 64 * 1024),
    channelDelayMs: intFromEnv(env, 'CHANNEL_DELAY_MS', 300),
    withdrawalTimeoutMs: intFromEnv(env, 'WITHDRAWAL_TIMEOUT_MS', 10 * 60 * 1000),
    reviewHoldTtlMs: intFromEnv(env, 'REVIEW_HOLD_TTL_MS', 72 * 3600 * 1000),
    ledgerBatchMax: intFromEnv(env, 'LEDGER_BATCH_MAX', 256),
    ledgerQueueMax: intFromEnv(env, 'LEDGER_QUEUE_MAX', 20_000),
    keks: env.BULWARK_KEKS || undefined,
    keyFile: resolve(env.BULWARK_KEY_FILE ?? './keys/kek.key'),
    accessTokenTtlS: intFromEnv(env, 'ACCESS_TOKEN_TTL_S', 900),
    customerSessionTtlS: intFromEnv(env, 'CUSTOMER_SESSION_TTL_S', 30 * 86_400),
    staffSessionTtlS: intFromEnv(env, 'STAFF_SESSION_TTL_S', 12 * 3600),
    stepUpTtlS: intFromEnv(env, 'STEP_UP_TTL_S', 300),
    riskDeadlineMs: intFromEnv(env, 'RISK_DEADLINE_MS', 50),
    modelRetrainDays: intFromEnv(env, 'BULWARK_MODEL_RETRAIN_DAYS', 7),
    ipRegionFile: env.BULWARK_IP_REGIONS || undefined,
    reserveFeeShareBps: intFromEnv(env, 'BULWARK_RESERVE_FEE_SHARE_BPS', 1000),
    compensationApprovalMinor: intFromEnv(env, 'BULWARK_COMPENSATION_APPROVAL_MINOR', 50_000),
    caseAttachmentMaxBytes: intFromEnv(env, 'BULWARK_CASE_ATTACHMENT_MAX_BYTES', 5 * 1024 * 1024),
    kycTiersJson: env.BULWARK_KYC_TIERS || undefined,
    passwordCostLn: intFromEnv(env, 'PASSWORD_COST_LN', 15),
    kycDeadlineMs: intFromEnv(env, 'KYC_DEADLINE_MS', 3000),
    approvalTtlS: intFromEnv(env, 'APPROVAL_TTL_S', 24 * 3600),
    privacyPolicyVersion: env.PRIVACY_POLICY_VERSION ?? '2026-11',
    webauthnRpId: env.WEBAUTHN_RP_ID ?? 'localhost',
    webauthnOrigins: (env.WEBAUTHN_ORIGINS ?? 'http://localhost:3000,http://127.0.0.1:3000')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
  };
}
