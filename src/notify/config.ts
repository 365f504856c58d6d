/** How notifications go out; read once from the environment, every value with a default. */
export interface NotifySettings {
  /** `smtp://user:pass@host:587` or `smtps://…`; absent: e-mails go to the embedded mailbox. */
  smtpUrl: string | undefined;
  /** The From header of e-mails; its domain also names the Message-IDs. */
  mailFrom: string;
  /** A webhook POST that has not answered by then counts as failed (and is retried). */
  webhookTimeoutMs: number;
  /** Attempts of a delivery before it is marked failed (a manual redelivery adds one). */
  maxAttempts: number;
  /** The first retry waits about this long; each later one twice as long as the one before… */
  retryBaseMs: number;
  /** …up to this, with jitter (each wait is drawn between half and all of it). */
  retryMaxMs: number;
  /** Deliveries sent at the same time by one process. */
  concurrency: number;
  /**
   * How long a process owns a delivery it started sending. A process that dies mid-send
   * leaves it `sending`; another one takes it over once this has passed. Longer than
   * any send can take (a webhook's timeout, an SMTP conversation).
   */
  leaseMs: number;
  /** Finished deliveries, their log and the embedded mailbox are kept this many days. */
  retentionDays: number;
}

function intFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function loadNotifySettings(env: NodeJS.ProcessEnv = process.env): NotifySettings {
  const smtpUrl = env.BULWARK_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error('BULWARK_SMTP_URL must start with smtp:// or smtps://');
  }
  const webhookTimeoutMs = intFromEnv(env, 'BULWARK_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000);
  return {
    smtpUrl,
    mailFrom: env.BULWARK_MAIL_FROM || 'Bulwark <no-reply@bulwark.local>',
    webhookTimeoutMs,
    maxAttempts: intFromEnv(env, 'BULWARK_NOTIFY_MAX_ATTEMPTS', 12, 1, 50),
    retryBaseMs: intFromEnv(env, 'BULWARK_NOTIFY_RETRY_BASE_MS', 15_000, 10, 3_600_000),
    retryMaxMs: intFromEnv(env, 'BULWARK_NOTIFY_RETRY_MAX_MS', 2 * 3_600_000, 10, 24 * 3_600_000),
    concurrency: intFromEnv(env, 'BULWARK_NOTIFY_CONCURRENCY', 8, 1, 64),
    leaseMs: Math.max(60_000, 3 * webhookTimeoutMs),
    retentionDays: intFromEnv(env, 'BULWARK_NOTIFY_RETENTION_DAYS', 90, 1, 3650),
  };
}

/**
 * The wait before retry number `attempt + 1`, after `attempt` failed attempts:
 * min(base × 2^(attempt − 1), max), drawn uniformly between half of it and all of it so
 * that endpoints coming back from an outage are not hit by every retry at once.
 */
export function retryDelayMs(
  attempt: number,
  settings: Pick<NotifySettings, 'retryBaseMs' | 'retryMaxMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(settings.retryBaseMs * 2 ** exponent, settings.retryMaxMs);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
