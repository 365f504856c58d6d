import { randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { type Clock, systemClock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { maskEmail, maskPhone } from '../security/mask.ts';

export type OtpChannel = 'sms' | 'email';

export interface OtpMessage {
  channel: OtpChannel;
  destination: string;
  text: string;
}

/** Delivers a code: an SMS gateway, a mail relay, or the simulation below. */
export interface OtpSender {
  readonly name: string;
  send(message: OtpMessage): Promise<void>;
}

export interface SimulatedMessage extends OtpMessage {
  code: string | undefined;
  at: Date;
}

const SIMULATED_KEEP = 1_000;

/**
 * A sender for embedded mode and tests: nothing leaves the process. Messages are kept in
 * memory (the latest 1,000) so a demo or a test can read the code back; nothing is logged,
 * neither the destination nor the code.
 */
export class SimulatedOtpSender implements OtpSender {
  readonly name = 'simulated';
  readonly sent: SimulatedMessage[] = [];

  constructor(private readonly clock: Clock = systemClock) {}

  async send(message: OtpMessage): Promise<void> {
    const code = /\b(\d{4,10})\b/.exec(message.text)?.[1];
    this.sent.push({ ...message, code, at: this.clock.now() });
    if (this.sent.length > SIMULATED_KEEP) this.sent.splice(0, this.sent.length - SIMULATED_KEEP);
  }

  /** The code in the latest message to this destination (compared after normalisation). */
  lastCode(destination: string): string | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const m = this.sent[i];
      if (m && m.destination === normaliseDestination(m.channel, destination)) return m.code;
    }
    return undefined;
  }
}

export interface OtpSettings {
  /** Lifetime of a code (seconds). */
  ttlS: number;
  /** Tries per code, right or wrong; after that the code is dead. */
  maxAttempts: number;
  /** Codes per destination in any 60 seconds; 0 turns this limit off. */
  perMinute: number;
  /** Codes per destination in any hour; 0 turns this limit off. */
  perHour: number;
  digits: number;
}

export const OTP_DEFAULTS: OtpSettings = { ttlS: 300, maxAttempts: 5, perMinute: 1, perHour: 5, digits: 6 };

/** One spelling per destination, so rate limits cannot be dodged with spaces or capitals. */
export function normaliseDestination(channel: OtpChannel, destination: string): string {
  const trimmed = destination.trim();
  return channel === 'email' ? trimmed.toLowerCase() : trimmed.replace(/[\s().-]/g, '');
}

/** Stored purposes are namespaced so codes never collide with other one-time tokens. */
const storedPurpose = (purpose: string) => `otp:${purpose}`;

/** A fixed first key for the per-destination advisory locks, apart from other lock users. */
const LOCK_NAMESPACE = 0x6f7470;

/**
 * One-time codes sent by SMS or e-mail, kept in `one_time_tokens`.
 *
 * Nothing in the table reveals a code or where it went: the token hash is a keyed HMAC of
 * the row id and the code, and the destination column holds a keyed HMAC of the normalised
 * address, which is all the per-destination rate limits need. A code works once, within its
 * lifetime, for `maxAttempts` tries; asking for a new one retires the subject's older codes
 * for the same purpose.
 */
export class OtpService {
  constructor(
    private readonly db: Db,
    private readonly sender: OtpSender,
    private readonly clock: Clock,
    private readonly hashKey: (value: string) => string,
    private readonly settings: OtpSettings = OTP_DEFAULTS,
  ) {
    if (!Number.isInteger(settings.digits) || settings.digits < 4 || settings.digits > 10) {
      throw new Error('OTP digits must be an integer from 4 to 10');
    }
  }

  async send(request: {
    subjectId: string;
    purpose: string;
    channel: OtpChannel;
    destination: string;
  }): Promise<{ id: string; expiresAt: string; destinationMasked: string }> {
    const destination = normaliseDestination(request.channel, request.destination);
    if (destination === '') throw new AppError('VALIDATION_FAILED', 'A destination is required.');
    const destinationHash = this.hashKey(`dest:${destination}`);
    const purpose = storedPurpose(request.purpose);
    const code = randomInt(0, 10 ** this.settings.digits)
      .toString()
      .padStart(this.settings.digits, '0');
    const id = newId('ott');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.ttlS * 1000);

    await this.db.transaction().execute(async (tx) => {
      // Serialises sends to one destination, so concurrent requests cannot both slip under the limit.
      await sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${destinationHash}))`.execute(tx);
      const recent = await tx
        .selectFrom('one_time_tokens')
        .select('created_at')
        .where('destination', '=', destinationHash)
        .where('created_at', '>', new Date(now.getTime() - 3_600_000))
        .orderBy('created_at', 'desc')
        .limit(Math.max(this.settings.perMinute, this.settings.perHour))
        .execute();
      const retryAfterS = Math.max(
        this.waitFor(recent, this.settings.perMinute, 60_000, now),
        this.waitFor(recent, this.settings.perHour, 3_600_000, now),
      );
      if (retryAfterS > 0) {
        throw new AppError(
          'AUTH_OTP_RATE_LIMITED',
          `Too many codes were sent to this destination; try again in ${retryAfterS} s.`,
          { retryAfterS },
        );
      }
      await tx
        .updateTable('one_time_tokens')
        .set({ expires_at: now })
        .where('subject_id', '=', request.subjectId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
      await tx
        .insertInto('one_time_tokens')
        .values({
          id,
          purpose,
          subject_id: request.subjectId,
          token_hash: this.hashKey(`${id}:${code}`),
          destination: destinationHash,
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
        })
        .execute();
    });

    const minutes = Math.max(1, Math.floor(this.settings.ttlS / 60));
    try {
      await this.sender.send({
        channel: request.channel,
        destination,
        text: `Bulwark code ${code}, valid ${minutes} minutes. 验证码 ${code}，${minutes}分钟内有效。`,
      });
    } catch (err) {
      // A code nobody received must not stay usable; it still counts towards the limits.
      await this.db.updateTable('one_time_tokens').set({ expires_at: now }).where('id', '=', id).execute();
      throw err;
    }
    return {
      id,
      expiresAt: expiresAt.toISOString(),
      destinationMasked: request.channel === 'email' ? maskEmail(destination) : maskPhone(destination),
    };
  }

  /**
   * True once for the right code. Each call first takes one of the code's tries in a single
   * conditional update, so parallel guesses cannot exceed `maxAttempts`; the right code is
   * then claimed by a second update that only one caller can win.
   */
  async verify(request: { id: string; subjectId: string; purpose: string; code: string }): Promise<boolean> {
    const now = this.clock.now();
    const attempt = await this.db
      .updateTable('one_time_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', request.id)
      .where('subject_id', '=', request.subjectId)
      .where('purpose', '=', storedPurpose(request.purpose))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', this.settings.maxAttempts)
      .returning('token_hash')
      .executeTakeFirst();
    if (!attempt) return false;

    const expected = Buffer.from(attempt.token_hash);
    const presented = Buffer.from(this.hashKey(`${request.id}:${request.code}`));
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return false;

    const claimed = await this.db
      .updateTable('one_time_tokens')
      .set({ used_at: now })
      .where('id', '=', request.id)
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  /** Seconds until a send is allowed under one limit (0 when it is allowed now). */
  private waitFor(
    recentDesc: Array<{ created_at: Date }>,
    limit: number,
    windowMs: number,
    now: Date,
  ): number {
    // The limit-th most recent send must leave the window before another is allowed.
    const blocking = recentDesc[limit - 1];
    if (!blocking) return 0;
    const freeAt = blocking.created_at.getTime() + windowMs;
    return freeAt > now.getTime() ? Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) : 0;
  }
}
