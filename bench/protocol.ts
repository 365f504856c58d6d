/**
 * The messages between the benchmark driver (parent) and the server child over IPC.
 * Both sides are ours, but a message is still checked before use rather than cast.
 */

export interface SetupRequest {
  type: 'setup';
  wallets: number;
  merchants: number;
  /** Each wallet is funded with one top-up of this many minor units (decimal string). */
  fundMinor: string;
  feeBps: number;
}

export type ParentMessage =
  | SetupRequest
  | { type: 'verify' }
  | { type: 'shutdown' }
  /** Starts the V8 CPU profiler in the server (only the timed phase is profiled). */
  | { type: 'profile-start' }
  /** Stops it and writes the .cpuprofile to `file`. */
  | { type: 'profile-stop'; file: string }
  /** Statement timings (BENCH_QUERY_STATS=1): forget those so far, or send them. */
  | { type: 'query-stats-reset' }
  | { type: 'query-stats' };

export interface VerifySummary {
  ok: boolean;
  entries: number;
  postings: number;
  accounts: number;
  headSeq: string;
  problems: Array<{ code: string; message: string }>;
  problemsTruncated: number;
  durationMs: number;
}

export type ChildMessage =
  | {
      type: 'ready';
      apiPort: number;
      /** An integrator API key for the load's requests (`Authorization: Bearer …`). */
      apiKey: string;
      baselinePort: number;
      database: 'pglite' | 'postgres';
      location: string;
      serverVersion: string;
    }
  | { type: 'rss'; rssBytes: number; heapUsedBytes: number }
  | {
      type: 'setup-done';
      walletIds: string[];
      merchantIds: string[];
      durationMs: number;
    }
  | { type: 'verify-done'; report: VerifySummary }
  | { type: 'profile-started' }
  | { type: 'query-stats-reset-done' }
  | {
      type: 'query-stats-done';
      enabled: boolean;
      statements: Array<{ statement: string; count: number; totalMs: number; meanMs: number }>;
    }
  | { type: 'profile-written'; file: string }
  | { type: 'closed'; maxRssBytes: number }
  | { type: 'failed'; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isVerifySummary(v: unknown): v is VerifySummary {
  return (
    isRecord(v) &&
    typeof v.ok === 'boolean' &&
    isNumber(v.entries) &&
    isNumber(v.postings) &&
    isNumber(v.accounts) &&
    typeof v.headSeq === 'string' &&
    Array.isArray(v.problems) &&
    isNumber(v.problemsTruncated) &&
    isNumber(v.durationMs)
  );
}

export function isChildMessage(m: unknown): m is ChildMessage {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'ready':
      return (
        isNumber(m.apiPort) &&
        typeof m.apiKey === 'string' &&
        isNumber(m.baselinePort) &&
        (m.database === 'pglite' || m.database === 'postgres') &&
        typeof m.location === 'string' &&
        typeof m.serverVersion === 'string'
      );
    case 'rss':
      return isNumber(m.rssBytes) && isNumber(m.heapUsedBytes);
    case 'setup-done':
      return isStringArray(m.walletIds) && isStringArray(m.merchantIds) && isNumber(m.durationMs);
    case 'verify-done':
      return isVerifySummary(m.report);
    case 'profile-started':
    case 'query-stats-reset-done':
      return true;
    case 'query-stats-done':
      return typeof m.enabled === 'boolean' && Array.isArray(m.statements);
    case 'profile-written':
      return typeof m.file === 'string';
    case 'closed':
      return isNumber(m.maxRssBytes);
    case 'failed':
      return typeof m.message === 'string';
    default:
      return false;
  }
}

export function isParentMessage(m: unknown): m is ParentMessage {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'setup':
      return (
        isNumber(m.wallets) &&
        isNumber(m.merchants) &&
        typeof m.fundMinor === 'string' &&
        /^[1-9][0-9]{0,17}$/.test(m.fundMinor) &&
        isNumber(m.feeBps)
      );
    case 'verify':
    case 'shutdown':
    case 'profile-start':
    case 'query-stats-reset':
    case 'query-stats':
      return true;
    case 'profile-stop':
      return typeof m.file === 'string';
    default:
      return false;
  }
}
