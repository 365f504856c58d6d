import { type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { RiskBacktestsTable } from '../../platform/schema.ts';
import { countHistory } from '../history.ts';
import type { CompiledRuleSet, LiveVersion } from '../rules/compile.ts';
import type { RuleEngine } from '../rules/evaluate.ts';
import {
  BacktestCancelled,
  type BacktestSets,
  DEFAULT_YIELD_AFTER_MS,
  DEFAULT_YIELD_EVERY,
  runBacktest,
} from './run.ts';
import { backtestHistory, loadPartyFacts, seedProfile } from './sources.ts';

/**
 * Back-tests as a job: a request is checked (period, rule versions, size), stored as
 * `queued`, and run in this process in the background, one at a time, with its progress
 * written as it goes. A run can be cancelled; a run this process was holding when it
 * stopped is marked failed (`interrupted`) by the next start.
 *
 * States: queued → running → done | failed | cancelled; queued → cancelled | failed.
 */

/** What the service needs from the rule store. */
export interface BacktestRuleSource {
  live(): Promise<{ revision: string; versions: LiveVersion[] }>;
  /** One stored version; RISK_RULE_NOT_FOUND when it does not exist. */
  version(ruleId: string, version: number): Promise<LiveVersion>;
}

export type BacktestCandidate =
  | { revision: 'active' }
  | { ruleVersions: Array<{ ruleId: string; version: number }> };

export interface BacktestParams {
  /** ISO 8601; events at or after it are evaluated. */
  from: string;
  /** ISO 8601, not after now; events before it are evaluated. */
  to: string;
  candidate: BacktestCandidate;
  /** Days before `from` replayed only to fill the velocity windows and profiles (0–30, default 0). */
  warmupDays?: number | undefined;
}

export type BacktestStatus = RiskBacktestsTable['status'];

export interface BacktestView {
  id: string;
  status: BacktestStatus;
  params: Record<string, unknown>;
  /** Decisions of the replayed range when the run was accepted (warm-up included). */
  total: number;
  /** Events replayed so far; equal to `total` once done. */
  processed: number;
  /** 0 to 1. */
  progress: number;
  cancelRequested: boolean;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

export type BacktestSummary = Omit<BacktestView, 'result'>;

export interface BacktestServiceOptions {
  /** A period holding more decisions is refused (RISK_BACKTEST_TOO_LARGE). */
  maxEvents: number;
  /** Back-tests waiting behind the running one; beyond it a request is refused (503). */
  queueMax: number;
  /** Longest evaluated period. */
  spanMaxDays: number;
  /** How often, at most, the progress is written (and a cancellation from another process seen). */
  progressIntervalMs: number;
  /** Events between two yields to the event loop. */
  yieldEvery: number;
  /** Milliseconds of replay between two yields to the event loop. */
  yieldAfterMs: number;
  /**
   * Decisions read per history query. Smaller pages block an embedded database (PGlite
   * runs in this thread) for less time per query, at some cost in throughput.
   */
  pageSize: number;
  /** Candidate rule versions per request. */
  ruleVersionsMax: number;
}

export const DEFAULT_BACKTEST_OPTIONS: BacktestServiceOptions = {
  maxEvents: 2_000_000,
  queueMax: 10,
  spanMaxDays: 31,
  progressIntervalMs: 250,
  yieldEvery: DEFAULT_YIELD_EVERY,
  yieldAfterMs: DEFAULT_YIELD_AFTER_MS,
  pageSize: 1000,
  ruleVersionsMax: 50,
};

const DAY_MS = 86_400_000;
const WARMUP_DAYS_MAX = 30;
const ERROR_TEXT_MAX = 500;
const LIST_MAX = 200;

type Row = Selectable<RiskBacktestsTable>;

interface Job {
  id: string;
  sets: BacktestSets;
  range: { from: Date; to: Date };
  evaluateFrom: Date;
  total: number;
  controller: AbortController;
  /** Set when the process stops: the run ends as failed (interrupted), not cancelled. */
  shutdown: boolean;
  settled: Promise<void>;
  settle: () => void;
}

/**
 * The id of a back-test: `bt_` and a ULID, like every issued id (the id module's prefix
 * list does not have one for back-tests yet).
 */
function backtestId(): string {
  return `bt_${newId('evt').slice('evt_'.length)}`;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `body/${field}: ${message}`, {
    errors: [{ path: `body/${field}`, message }],
  });
}

function parseTime(field: string, value: string): Date {
  const d = new Date(value);
  if (value.length > 40 || Number.isNaN(d.getTime())) throw invalid(field, 'is not a valid date-time');
  return d;
}

export class BacktestService {
  private readonly options: BacktestServiceOptions;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private accepting = 0;
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly db: Db,
    private readonly rules: BacktestRuleSource,
    private readonly engine: RuleEngine,
    private readonly clock: Clock,
    options: Partial<BacktestServiceOptions> = {},
    private readonly log?: Logger,
  ) {
    this.options = { ...DEFAULT_BACKTEST_OPTIONS, ...options };
  }

  /**
   * Marks the back-tests a stopped process left queued or running as failed. Call once on
   * start, before accepting requests; with several processes on one database a running
   * row cannot yet be told from another live process's, so only the embedded (single
   * process) deployment should call it.
   */
  async recoverInterrupted(): Promise<number> {
    const rows = await this.db
      .updateTable('risk_backtests')
      .set({
        status: 'failed',
        error: 'interrupted: the process running it stopped',
        finished_at: this.clock.now(),
      })
      .where('status', 'in', ['queued', 'running'])
      .returning('id')
      .execute();
    return rows.length;
  }

  /** Checks and queues a back-test; answers its view (status `queued`). */
  async start(params: BacktestParams, createdBy: string): Promise<BacktestView> {
    if (this.closed) throw new AppError('SERVICE_UNAVAILABLE', 'The process is stopping.');
    // Requests still being checked hold a place too, so concurrent ones cannot overfill the queue.
    if (this.queue.length + this.accepting >= this.options.queueMax) {
      throw new AppError(
        'SERVICE_OVERLOADED',
        `${this.options.queueMax} back-tests are already waiting; retry later.`,
      );
    }
    this.accepting++;
    try {
      return await this.accept(params, createdBy);
    } finally {
      this.accepting--;
    }
  }

  private async accept(params: BacktestParams, createdBy: string): Promise<BacktestView> {
    const now = this.clock.now();
    const from = parseTime('from', params.from);
    const to = parseTime('to', params.to);
    if (to.getTime() <= from.getTime()) throw invalid('to', 'must be after from');
    if (to.getTime() > now.getTime()) throw invalid('to', 'must not be in the future');
    if (to.getTime() - from.getTime() > this.options.spanMaxDays * DAY_MS) {
      throw invalid('to', `the period must not be longer than ${this.options.spanMaxDays} days`);
    }
    const warmupDays = params.warmupDays ?? 0;
    if (!Number.isInteger(warmupDays) || warmupDays < 0 || warmupDays > WARMUP_DAYS_MAX) {
      throw invalid('warmupDays', `must be a whole number of days from 0 to ${WARMUP_DAYS_MAX}`);
    }
    const { sets, candidateVersions } = await this.resolveSets(params.candidate);
    const range = { from: new Date(from.getTime() - warmupDays * DAY_MS), to };
    const total = await countHistory(this.db, range);
    if (total > this.options.maxEvents) {
      throw new AppError(
        'RISK_BACKTEST_TOO_LARGE',
        `The period holds ${total} decisions; a back-test replays at most ${this.options.maxEvents}. Choose a shorter period.`,
        { events: total, maxEvents: this.options.maxEvents },
      );
    }
    const id = backtestId();
    const stored = {
      from: from.toISOString(),
      to: to.toISOString(),
      warmupDays,
      candidate: params.candidate,
      baselineRevision: sets.baseline.revision,
      candidateRevision: sets.candidate.revision,
      candidateVersions,
    };
    // Raw SQL: the table's typed bigint columns do not accept a value through the query builder.
    await sql`
      insert into risk_backtests (id, status, params, total, created_by, created_at)
      values (${id}, 'queued', ${JSON.stringify(stored)}::jsonb, ${String(total)}::bigint, ${createdBy},
        ${now.toISOString()}::timestamptz)`.execute(this.db);
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const job: Job = {
      id,
      sets,
      range,
      evaluateFrom: from,
      total,
      controller: new AbortController(),
      shutdown: false,
      settled,
      settle,
    };
    // The answer shows the run as accepted, before it may already have started.
    const view = await this.get(id);
    this.jobs.set(id, job);
    this.queue.push(job);
    this.kick();
    return view;
  }

  /** Asks a queued or running back-test to stop; a finished one is refused (409). */
  async cancel(id: string): Promise<BacktestView> {
    const row = await this.db
      .updateTable('risk_backtests')
      .set({ cancel_requested: true })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .returning('status')
      .executeTakeFirst();
    if (!row) {
      const existing = await this.get(id);
      throw new AppError(
        'RISK_BACKTEST_STATE',
        `The back-test is ${existing.status}; it cannot be cancelled.`,
        {
          status: existing.status,
        },
      );
    }
    const job = this.jobs.get(id);
    const waiting = job ? this.queue.indexOf(job) : -1;
    if (job && waiting >= 0) {
      this.queue.splice(waiting, 1);
      await this.finishQueued(job, 'cancelled', null);
    } else if (job && this.current === job) {
      job.controller.abort();
    }
    return this.get(id);
  }

  async get(id: string): Promise<BacktestView> {
    const row = await this.db
      .selectFrom('risk_backtests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('RISK_BACKTEST_NOT_FOUND', `Back-test ${id} does not exist.`);
    return viewOf(row);
  }

  /** Newest first, without the results (read one back-test for its result). */
  async list(q: { cursor?: string | undefined; limit?: number | undefined } = {}): Promise<{
    backtests: BacktestSummary[];
    nextCursor: string | null;
  }> {
    const limit = Math.min(LIST_MAX, Math.max(1, q.limit ?? 50));
    let query = this.db
      .selectFrom('risk_backtests')
      .select([
        'id',
        'status',
        'params',
        'total',
        'processed',
        'error',
        'created_by',
        'created_at',
        'started_at',
        'finished_at',
        'cancel_requested',
      ])
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (q.cursor !== undefined) query = query.where('id', '<', q.cursor);
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      backtests: page.map((r) => {
        const { result: _, ...summary } = viewOf({ ...r, result: null });
        return summary;
      }),
      nextCursor: rows.length > limit && last ? last.id : null,
    };
  }

  /** Resolves when the back-test has finished in this process (at once when it is not one of its own). */
  async settled(id: string): Promise<void> {
    await this.jobs.get(id)?.settled;
  }

  /** Stops taking work: the running and queued back-tests end as failed (interrupted). */
  async close(): Promise<void> {
    this.closed = true;
    const waiting = this.queue.splice(0);
    for (const job of waiting) await this.finishQueued(job, 'failed', 'interrupted: the process stopped');
    if (this.current) {
      this.current.shutdown = true;
      this.current.controller.abort();
    }
    await this.draining;
  }

  // ---- Running -----------------------------------------------------------------------

  /** The baseline is the live set now; the candidate is it with the given versions acting. */
  private async resolveSets(
    candidate: BacktestCandidate,
  ): Promise<{ sets: BacktestSets; candidateVersions: string[] }> {
    const live = await this.rules.live();
    const compiler = this.engine.rules;
    const baseline = compiler.compileSet(live.revision, live.versions);
    if ('revision' in candidate) return { sets: { baseline, candidate: baseline }, candidateVersions: [] };
    const wanted = candidate.ruleVersions;
    if (wanted.length === 0 || wanted.length > this.options.ruleVersionsMax) {
      throw invalid('candidate/ruleVersions', `must name 1 to ${this.options.ruleVersionsMax} versions`);
    }
    const ruleIds = new Set(wanted.map((w) => w.ruleId));
    if (ruleIds.size !== wanted.length)
      throw invalid('candidate/ruleVersions', 'names a rule more than once');
    const chosen: LiveVersion[] = [];
    for (const w of wanted)
      chosen.push({ ...(await this.rules.version(w.ruleId, w.version)), state: 'active' });
    // The chosen version replaces the rule's acting version (and itself, when it is in shadow).
    const kept = live.versions.filter(
      (v) =>
        !ruleIds.has(v.ruleId) ||
        (v.state === 'shadow' && !chosen.some((c) => c.ruleId === v.ruleId && c.version === v.version)),
    );
    const labels = chosen.map((c) => `${c.ruleId}@${c.version}`);
    const versions = [...kept, ...chosen].sort((a, b) =>
      a.ruleId === b.ruleId ? a.version - b.version : a.ruleId < b.ruleId ? -1 : 1,
    );
    const set: CompiledRuleSet = compiler.compileSet(`${live.revision}+${labels.join(',')}`, versions);
    const broken = set.invalid.find((b) => ruleIds.has(b.ruleId));
    if (broken) {
      throw new AppError(
        'RISK_RULE_INVALID',
        `Version ${broken.version} of rule ${broken.ruleId} does not compile.`,
        {
          errors: broken.errors,
        },
      );
    }
    return { sets: { baseline, candidate: set }, candidateVersions: labels };
  }

  private kick(): void {
    if (this.draining || this.closed || this.queue.length === 0) return;
    this.draining = (async () => {
      try {
        for (let job = this.queue.shift(); job; job = this.queue.shift()) {
          this.current = job;
          await this.execute(job);
          this.current = undefined;
          job.settle();
          this.jobs.delete(job.id);
        }
      } finally {
        this.draining = undefined;
      }
    })();
  }

  /** Runs one back-test to its end state; never throws (a failure is the row's state). */
  private async execute(job: Job): Promise<void> {
    const { db } = this;
    try {
      const claimed = await db
        .updateTable('risk_backtests')
        .set({ status: 'running', started_at: this.clock.now() })
        .where('id', '=', job.id)
        .where('status', '=', 'queued')
        .where('cancel_requested', '=', false)
        .returning('id')
        .executeTakeFirst();
      if (!claimed) {
        // Cancelled through another process while it waited here.
        await this.finishQueued(job, 'cancelled', null);
        return;
      }
      let lastWriteMs = performance.now();
      const onProgress = async (processed: number) => {
        if (performance.now() - lastWriteMs < this.options.progressIntervalMs) return;
        lastWriteMs = performance.now();
        const r = await sql<{ cancel_requested: boolean }>`
          update risk_backtests set processed = ${String(processed)}::bigint
          where id = ${job.id} returning cancel_requested`.execute(db);
        const row = r.rows[0];
        // A cancellation asked through another process is seen here.
        if (row?.cancel_requested) job.controller.abort();
      };
      const parties = await loadPartyFacts(db, job.range);
      const history = backtestHistory(db, { ...job.range, pageSize: this.options.pageSize });
      const result = await runBacktest(history, job.sets, {
        seed: (profile) => seedProfile(profile, parties),
        localOffsetMinutes: this.engine.options.localOffsetMinutes,
        evaluateFrom: job.evaluateFrom,
        onProgress,
        signal: job.controller.signal,
        yieldEvery: this.options.yieldEvery,
        yieldAfterMs: this.options.yieldAfterMs,
      });
      const replayed = result.events + result.warmupEvents;
      const total = Math.max(job.total, replayed);
      await this.finishRunning(job, 'done', {
        result: JSON.stringify(result),
        total,
        processed: total,
      });
    } catch (err) {
      if (err instanceof BacktestCancelled && !job.shutdown) {
        await this.finishRunning(job, 'cancelled', { processed: err.processed }).catch((e: unknown) =>
          this.log?.error({ err: e, backtest: job.id }, 'back-test state could not be written'),
        );
        return;
      }
      const message = job.shutdown
        ? 'interrupted: the process stopped'
        : `${err instanceof Error ? err.message : String(err)}`.slice(0, ERROR_TEXT_MAX);
      if (!job.shutdown) this.log?.error({ err, backtest: job.id }, 'back-test failed');
      const processed = err instanceof BacktestCancelled ? { processed: err.processed } : {};
      await this.finishRunning(job, 'failed', { error: message, ...processed }).catch((e: unknown) =>
        this.log?.error({ err: e, backtest: job.id }, 'back-test state could not be written'),
      );
    }
  }

  private async finishRunning(
    job: Job,
    status: 'done' | 'failed' | 'cancelled',
    values: { result?: string; total?: number; processed?: number; error?: string },
  ): Promise<void> {
    const num = (n: number | undefined) => (n === undefined ? null : String(n));
    await sql`
      update risk_backtests set status = ${status}, finished_at = ${this.clock.now().toISOString()}::timestamptz,
        result = coalesce(${values.result ?? null}::jsonb, result),
        total = coalesce(${num(values.total)}::bigint, total),
        processed = coalesce(${num(values.processed)}::bigint, processed),
        error = coalesce(${values.error ?? null}::text, error)
      where id = ${job.id} and status = 'running'`.execute(this.db);
  }

  /** Ends a back-test that never started. */
  private async finishQueued(job: Job, status: 'failed' | 'cancelled', error: string | null): Promise<void> {
    await this.db
      .updateTable('risk_backtests')
      .set({ status, error, finished_at: this.clock.now() })
      .where('id', '=', job.id)
      .where('status', '=', 'queued')
      .execute();
    job.settle();
    this.jobs.delete(job.id);
  }
}

function viewOf(r: Row): BacktestView {
  const total = Number(r.total);
  const processed = Number(r.processed);
  const progress = r.status === 'done' ? 1 : total === 0 ? 0 : Math.min(1, processed / total);
  return {
    id: r.id,
    status: r.status,
    params: r.params,
    total,
    processed,
    progress,
    cancelRequested: r.cancel_requested,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    result: r.result,
    error: r.error,
  };
}

export interface BacktestDeps {
  db: Db;
  rules: BacktestRuleSource;
  engine: RuleEngine;
  clock: Clock;
  log?: Logger | undefined;
  options?: Partial<BacktestServiceOptions> | undefined;
}

/** The back-test service of an embedded process: the runs a stopped process left are marked failed first. */
export async function startBacktests(deps: BacktestDeps): Promise<BacktestService> {
  const service = new BacktestService(deps.db, deps.rules, deps.engine, deps.clock, deps.options, deps.log);
  const interrupted = await service.recoverInterrupted();
  if (interrupted > 0)
    deps.log?.warn({ interrupted }, 'back-tests left by a stopped process were marked failed');
  return service;
}
