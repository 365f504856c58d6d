import { sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';

export interface LoginGuardSettings {
  /** Failures on one login name before each further attempt must wait (progressive delay). */
  delayAfter: number;
  /** Base delay once delaying starts; it doubles per further failure. */
  delayBaseS: number;
  /** Failures on one login name before it is locked. */
  lockAfter: number;
  /** First lock's length; each later lock doubles it, up to `lockMaxS`. */
  lockBaseS: number;
  lockMaxS: number;
  /** Failures from one address within the window before the address is refused. */
  ipMaxFailures: number;
  ipWindowS: number;
  /** Failures older than this are forgotten. */
  forgetAfterS: number;
}

export const DEFAULT_LOGIN_GUARD: LoginGuardSettings = {
  delayAfter: 3,
  delayBaseS: 1,
  lockAfter: 10,
  lockBaseS: 15 * 60,
  lockMaxS: 4 * 3600,
  ipMaxFailures: 50,
  ipWindowS: 15 * 60,
  forgetAfterS: 24 * 3600,
};

/**
 * Brute-force and credential-stuffing protection (I4). Failures are counted per login
 * name (its blind index, whether or not such an account exists, so the answers never
 * reveal which accounts exist) and per client address:
 *
 * - after `delayAfter` failures on a name, each attempt must wait 1 s, 2 s, 4 s … after
 *   the last failure;
 * - after `lockAfter` failures the name is locked for 15 minutes, doubling per lock;
 * - an address with `ipMaxFailures` failures in the window is refused for any name.
 *
 * A lock must not lock the real owner out for good: the owner signing in from a device
 * that has signed in successfully before passes the name's lock (an attacker does not
 * have that device), a password reset clears it, and locks expire.
 */
export class LoginGuard {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: LoginGuardSettings = DEFAULT_LOGIN_GUARD,
  ) {}

  /** Throws AUTH_TOO_MANY_ATTEMPTS (with retryAfterS) when this attempt may not proceed. */
  async check(nameKey: string, ip: string | undefined, knownDevice: boolean): Promise<void> {
    const now = this.clock.now();
    const keys = [`name:${nameKey}`, ...(ip ? [`ip:${ip}`] : [])];
    const rows = await this.db.selectFrom('login_failures').selectAll().where('key', 'in', keys).execute();
    let waitS = 0;
    for (const r of rows) {
      if (now.getTime() - r.last_failure_at.getTime() > this.settings.forgetAfterS * 1000) continue;
      if (r.key.startsWith('ip:')) {
        const windowOpen = now.getTime() - r.first_failure_at.getTime() < this.settings.ipWindowS * 1000;
        if (windowOpen && r.failures >= this.settings.ipMaxFailures) {
          waitS = Math.max(waitS, secondsUntil(r.first_failure_at, this.settings.ipWindowS, now));
        }
        continue;
      }
      if (knownDevice) continue;
      if (r.locked_until && r.locked_until > now) {
        waitS = Math.max(waitS, Math.ceil((r.locked_until.getTime() - now.getTime()) / 1000));
        continue;
      }
      const over = r.failures - this.settings.delayAfter;
      if (over >= 0) {
        const delayS = this.settings.delayBaseS * 2 ** Math.min(over, 12);
        const readyAt = r.last_failure_at.getTime() + delayS * 1000;
        if (readyAt > now.getTime()) waitS = Math.max(waitS, Math.ceil((readyAt - now.getTime()) / 1000));
      }
    }
    if (waitS > 0) {
      throw new AppError(
        'AUTH_TOO_MANY_ATTEMPTS',
        `Too many failed attempts; try again in ${waitS} s, or reset the password.`,
        { retryAfterS: waitS },
      );
    }
  }

  /** Counts a failure against the name and the address; locks the name at the threshold. */
  async failed(nameKey: string, ip: string | undefined): Promise<void> {
    const now = this.clock.now();
    const forget = new Date(now.getTime() - this.settings.forgetAfterS * 1000);
    const ipWindowStart = new Date(now.getTime() - this.settings.ipWindowS * 1000);
    await sql`
      insert into login_failures (key, failures, first_failure_at, last_failure_at)
      values (${`name:${nameKey}`}, 1, ${now}, ${now})
      on conflict (key) do update set
        failures = case when login_failures.last_failure_at < ${forget} then 1 else login_failures.failures + 1 end,
        first_failure_at = case when login_failures.last_failure_at < ${forget} then ${now} else login_failures.first_failure_at end,
        lockouts = case when login_failures.last_failure_at < ${forget} then 0 else login_failures.lockouts end,
        last_failure_at = ${now}`.execute(this.db);
    await sql`
      update login_failures set
        locked_until = ${now}::timestamptz + make_interval(secs => least(${this.settings.lockMaxS}, ${this.settings.lockBaseS} * power(2, lockouts))),
        lockouts = lockouts + 1,
        failures = 0
      where key = ${`name:${nameKey}`} and failures >= ${this.settings.lockAfter}`.execute(this.db);
    if (ip) {
      await sql`
        insert into login_failures (key, failures, first_failure_at, last_failure_at)
        values (${`ip:${ip}`}, 1, ${now}, ${now})
        on conflict (key) do update set
          failures = case when login_failures.first_failure_at < ${ipWindowStart} then 1 else login_failures.failures + 1 end,
          first_failure_at = case when login_failures.first_failure_at < ${ipWindowStart} then ${now} else login_failures.first_failure_at end,
          last_failure_at = ${now}`.execute(this.db);
    }
  }

  /**
   * A success clears the name's failures; the count of past locks stays (a day) so a
   * persistent attack still meets doubling locks. The address keeps its count: it may be
   * stuffing many names.
   */
  async succeeded(nameKey: string): Promise<void> {
    await this.db
      .updateTable('login_failures')
      .set({ failures: 0, locked_until: null })
      .where('key', '=', `name:${nameKey}`)
      .execute();
  }

  /** A password reset proves control of the account: its lock, failures and lock history are cleared. */
  async clear(nameKey: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('key', '=', `name:${nameKey}`).execute();
  }
}

function secondsUntil(start: Date, windowS: number, now: Date): number {
  return Math.max(1, Math.ceil((start.getTime() + windowS * 1000 - now.getTime()) / 1000));
}
