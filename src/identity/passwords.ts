import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

/**
 * Passwords (I2). Hashing uses scrypt from Node's crypto: it runs on libuv's thread pool,
 * so a login never blocks the event loop, and it needs no native add-on (argon2 would
 * need a platform binary the install cannot always fetch). Parameters: N = 2^15, r = 8,
 * p = 1 (32 MiB, about 50–100 ms on one core), 16-byte salt, 32-byte key, stored as a
 * PHC-style string so parameters can be raised later and old hashes re-hashed on login.
 */
export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  r: number;
  p: number;
}

export const SCRYPT_DEFAULTS: ScryptParams = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
/** Upper bound on what a stored hash may ask for, so a forged row cannot exhaust memory. */
const LN_MAX = 20;

/**
 * At most this many hashes run at once. libuv's pool has 4 threads shared with every
 * other asynchronous crypto and file call; leaving two free keeps those from queueing
 * behind a burst of sign-ins (the benchmark measured what happens otherwise).
 */
const HASHES_IN_FLIGHT = 2;
let inFlight = 0;
const waiting: Array<() => void> = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (inFlight >= HASHES_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await work();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return limited(() => deriveNow(password, salt, params));
}

function deriveNow(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_BYTES,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function hashPassword(
  password: string,
  params: ScryptParams = SCRYPT_DEFAULTS,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m =
    /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{40,})$/.exec(
      stored,
    );
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > LN_MAX || params.r < 1 || params.p < 1) return undefined;
  return { params, salt: Buffer.from(m[4] ?? '', 'base64url'), key: Buffer.from(m[5] ?? '', 'base64url') };
}

/** Constant-time comparison; a malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when a stored hash uses weaker parameters than today's: re-hash it at the next login. */
export function needsRehash(stored: string, params: ScryptParams = SCRYPT_DEFAULTS): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** zxcvbn score 0–4 that a password must reach. */
  minScore: 0 | 1 | 2 | 3 | 4;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 10, maxLength: 128, minScore: 3 };

export type PasswordVerdict =
  | { ok: true; score: number }
  | {
      ok: false;
      reason: 'TOO_SHORT' | 'TOO_LONG' | 'TOO_WEAK' | 'COMMON' | 'CONTAINS_PERSONAL';
      warning: string | null;
      suggestions: string[];
    };

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

/**
 * Judges a new password: length, estimated strength (zxcvbn), the most common passwords
 * (zxcvbn's frequency lists), and the user's own phone, e-mail or name inside it.
 */
export function judgePassword(
  password: string,
  personal: string[] = [],
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): PasswordVerdict {
  const length = [...password].length;
  if (length < policy.minLength) {
    return {
      ok: false,
      reason: 'TOO_SHORT',
      warning: `Use at least ${policy.minLength} characters.`,
      suggestions: [],
    };
  }
  if (length > policy.maxLength) {
    return {
      ok: false,
      reason: 'TOO_LONG',
      warning: `Use at most ${policy.maxLength} characters.`,
      suggestions: [],
    };
  }
  const lowered = password.toLowerCase();
  const parts = personal.map((p) => p.trim().toLowerCase()).filter((p) => p.length >= 4);
  if (parts.some((p) => lowered.includes(p))) {
    return {
      ok: false,
      reason: 'CONTAINS_PERSONAL',
      warning: 'Do not use your phone, e-mail or name.',
      suggestions: [],
    };
  }
  const result = zxcvbn().check(password, parts);
  const common = result.sequence.some(
    (m) =>
      m.pattern === 'dictionary' &&
      m.dictionaryName.startsWith('passwords') &&
      m.rank <= 10_000 &&
      m.token.length >= length - 2,
  );
  if (common) {
    return {
      ok: false,
      reason: 'COMMON',
      warning: 'This is one of the most common passwords.',
      suggestions: result.feedback.suggestions,
    };
  }
  if (result.score < policy.minScore) {
    return {
      ok: false,
      reason: 'TOO_WEAK',
      warning: result.feedback.warning,
      suggestions: result.feedback.suggestions,
    };
  }
  return { ok: true, score: result.score };
}
