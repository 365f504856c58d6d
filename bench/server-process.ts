/**
 * The parent's handle on the server child: starts bench/server.ts in its own Node
 * process, waits for its answers over IPC, and keeps the peak of the RSS it reports.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type ChildMessage,
  isChildMessage,
  type ParentMessage,
  type SetupRequest,
  type VerifySummary,
} from './protocol.ts';

const SERVER_FILE = fileURLToPath(new URL('./server.ts', import.meta.url));
/** Longest wait for any one answer (setup of 10 000 wallets on PGlite included). */
const ANSWER_TIMEOUT_MS = 15 * 60_000;

type Ready = Extract<ChildMessage, { type: 'ready' }>;

export interface ServerStart {
  /** PostgreSQL URL, or undefined for PGlite. */
  databaseUrl: string | undefined;
  dataDir: string;
  schema: string | undefined;
  queryStats: boolean;
}

export class ServerProcess {
  private waiters: Array<{
    type: ChildMessage['type'];
    resolve: (m: ChildMessage) => void;
    reject: (e: Error) => void;
  }> = [];
  private exited = false;
  /** Highest RSS reported since the last resetPhasePeak(). */
  phasePeakRssBytes = 0;
  /** Highest RSS reported over the process's life. */
  peakRssBytes = 0;
  ready: Ready | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: unknown) => this.onMessage(m));
    child.on('exit', (code, signal) => {
      this.exited = true;
      const err = new Error(`bench server exited (code ${code}, signal ${signal})`);
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
  }

  static async start(options: ServerStart): Promise<ServerProcess> {
    const child = fork(SERVER_FILE, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl ?? '',
        BULWARK_DATA_DIR: options.dataDir,
        BENCH_SCHEMA: options.schema ?? '',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_PER_MINUTE: '0',
        BENCH_QUERY_STATS: options.queryStats ? '1' : '',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    const ready = await server.expect('ready');
    if (ready.type !== 'ready') throw new Error('unexpected answer');
    server.ready = ready;
    return server;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  resetPhasePeak(): void {
    this.phasePeakRssBytes = 0;
  }

  async setup(req: Omit<SetupRequest, 'type'>) {
    this.send({ type: 'setup', ...req });
    const m = await this.expect('setup-done');
    if (m.type !== 'setup-done') throw new Error('unexpected answer');
    return m;
  }

  async verify(): Promise<VerifySummary> {
    this.send({ type: 'verify' });
    const m = await this.expect('verify-done');
    if (m.type !== 'verify-done') throw new Error('unexpected answer');
    return m.report;
  }

  async startProfile(): Promise<void> {
    this.send({ type: 'profile-start' });
    await this.expect('profile-started');
  }

  async stopProfile(file: string): Promise<void> {
    this.send({ type: 'profile-stop', file });
    await this.expect('profile-written');
  }

  async resetQueryStats(): Promise<void> {
    this.send({ type: 'query-stats-reset' });
    await this.expect('query-stats-reset-done');
  }

  async queryStats() {
    this.send({ type: 'query-stats' });
    const m = await this.expect('query-stats-done');
    if (m.type !== 'query-stats-done') throw new Error('unexpected answer');
    return m.enabled ? m.statements : undefined;
  }

  /** Asks the server to close (and drop its schema); returns the process's peak RSS. */
  async shutdown(): Promise<number> {
    this.send({ type: 'shutdown' });
    const m = await this.expect('closed');
    if (m.type !== 'closed') throw new Error('unexpected answer');
    await new Promise<void>((resolve) => {
      if (this.exited) resolve();
      else this.child.once('exit', () => resolve());
    });
    return Math.max(m.maxRssBytes, this.peakRssBytes);
  }

  /** Last resort when the run failed: stop this child (and only it). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }

  private send(message: ParentMessage): void {
    if (this.exited) throw new Error('bench server is not running');
    this.child.send(message);
  }

  private expect(type: ChildMessage['type']): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error('bench server is not running'));
        return;
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no "${type}" from the bench server within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      const waiter = {
        type,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private onMessage(m: unknown): void {
    if (!isChildMessage(m)) {
      console.error('bench: unexpected message from the server', m);
      return;
    }
    if (m.type === 'rss') {
      this.phasePeakRssBytes = Math.max(this.phasePeakRssBytes, m.rssBytes);
      this.peakRssBytes = Math.max(this.peakRssBytes, m.rssBytes);
      return;
    }
    if (m.type === 'failed') {
      const err = new Error(`bench server failed: ${m.message}`);
      for (const w of this.waiters.splice(0)) w.reject(err);
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    const waiter = i >= 0 ? this.waiters.splice(i, 1)[0] : undefined;
    if (waiter) waiter.resolve(m);
  }
}
