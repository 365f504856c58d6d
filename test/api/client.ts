// A small HTTP client over app.inject() for the API tests: fresh idempotency keys, parsed bodies, funded customers.
import { expect } from 'vitest';
import { residentIdCheckChar } from '../../src/identity/documents.ts';
import type { KycTier } from '../../src/identity/tiers.ts';
import { idemKey, type TestBulwark } from '../helpers.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  contentType: string;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

export interface PostOptions {
  /** The Idempotency-Key header; a fresh key unless given, none when null. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
}

const POLL_TRIES_MAX = 300;
const POLL_INTERVAL_MS = 10;

/** Reads a value at a path of keys and indexes, or undefined when any step is missing. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let cur = value;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

/** The string at a path; fails the test when it is anything else. */
export function str(value: unknown, ...path: Array<string | number>): string {
  const v = at(value, ...path);
  if (typeof v !== 'string')
    throw new Error(`expected a string at ${path.join('.')}, got ${JSON.stringify(v)}`);
  return v;
}

/** The array at a path; fails the test when it is anything else. */
export function arr(value: unknown, ...path: Array<string | number>): unknown[] {
  const v = at(value, ...path);
  if (!Array.isArray(v)) throw new Error(`expected an array at ${path.join('.')}, got ${JSON.stringify(v)}`);
  return v;
}

/** An integer string of minor units at a path, as a bigint. */
export function minor(value: unknown, ...path: Array<string | number>): bigint {
  const s = str(value, ...path);
  if (!/^-?[0-9]+$/.test(s)) throw new Error(`expected an integer string at ${path.join('.')}, got ${s}`);
  return BigInt(s);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Balance {
  posted: bigint;
  held: bigint;
  available: bigint;
}

/** Accounts the helpers open are a year old unless a test asks for a new one (`null`). */
export const ESTABLISHED = new Date(Date.now() - 365 * 86_400_000).toISOString();

export class Api {
  /** Every response body this client received, to check what never leaks. */
  readonly seen: string[] = [];

  /**
   * @param auth the Authorization header to send; the instance's integrator key unless given.
   */
  constructor(
    private readonly bw: () => TestBulwark,
    private readonly auth?: () => Promise<string | null>,
  ) {}

  /** The same client acting as a signed-in staff user of a role. */
  asStaff(role: Parameters<TestBulwark['staffAuth']>[0]): Api {
    return new Api(this.bw, () => this.bw().staffAuth(role));
  }

  /** The same client with another Authorization header (null: none at all). */
  as(auth: string | null): Api {
    return new Api(this.bw, async () => auth);
  }

  async request(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    options: PostOptions = {},
  ): Promise<Reply> {
    const authorization = this.auth ? await this.auth() : this.bw().integratorAuth;
    const headers: Record<string, string> = {
      ...(authorization ? { authorization } : {}),
      ...options.headers,
    };
    if (method === 'POST') {
      const key = options.key === undefined ? idemKey('api') : options.key;
      if (key !== null) headers['idempotency-key'] = key;
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await this.bw().app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    const contentType = String(res.headers['content-type'] ?? '');
    let parsed: unknown;
    if (contentType.includes('json')) {
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
    }
    this.seen.push(res.body);
    return { status: res.statusCode, headers: res.headers, contentType, text: res.body, body: parsed };
  }

  post(url: string, body: unknown, options: PostOptions = {}): Promise<Reply> {
    return this.request('POST', url, body, options);
  }

  get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.request('GET', url, undefined, { headers });
  }

  /**
   * A customer with one wallet per currency, opened a year ago by default (an established
   * customer: the starter rules on young accounts stay out of tests about something else), verified through the KYC API to `tier` (2 by
   * default, so the tests' amounts fit its limits); returns the customer id and the first wallet id.
   */
  async customer(
    displayName: string,
    currencies: string[] = ['CNY'],
    tier: KycTier = 2,
    openedAt: string | null = ESTABLISHED,
  ) {
    const res = await this.post('/v1/customers', {
      displayName,
      currencies,
      ...(openedAt === null ? {} : { openedAt }),
    });
    expect(res.status, res.text).toBe(201);
    const id = str(res.body, 'id');
    if (tier !== 0) await this.verify(id, displayName, tier);
    return { id, walletId: str(res.body, 'wallets', 0, 'id') };
  }

  /** Raises a customer to a KYC tier through the API with a fresh resident ID (basic, then full). */
  async verify(customerId: string, name: string, tier: 1 | 2 = 2, documentNumber = residentId()) {
    const basic = await this.post(`/v1/customers/${customerId}/kyc/basic`, {
      name,
      documentType: 'CN_RESIDENT_ID',
      documentNumber,
    });
    expect(basic.status, basic.text).toBe(200);
    if (tier < 2) return basic;
    const full = await this.post(`/v1/customers/${customerId}/kyc/full`, {
      documentImages: { front: `upl_front_${customerId}`, back: `upl_back_${customerId}` },
      livenessSessionId: `lv_${customerId}`,
    });
    expect(full.status, full.text).toBe(200);
    return full;
  }

  /** A merchant accepting CNY; returns its id and its CNY account id. */
  async merchant(name: string, feeBps: number, openedAt: string | null = ESTABLISHED) {
    const res = await this.post('/v1/merchants', {
      name,
      feeBps,
      currencies: ['CNY'],
      ...(openedAt === null ? {} : { openedAt }),
    });
    expect(res.status, res.text).toBe(201);
    return { id: str(res.body, 'id'), accountId: str(res.body, 'accounts', 0, 'id') };
  }

  /** Starts a top-up (202 pending) and returns its id. */
  async startTopup(walletId: string, amountMinor: string, currency = 'CNY'): Promise<string> {
    const res = await this.post('/v1/topups', { walletId, amountMinor, currency });
    expect(res.status, res.text).toBe(202);
    expect(str(res.body, 'status')).toBe('pending');
    return str(res.body, 'id');
  }

  /** Polls a resource until its status leaves the given transient states, with a bounded number of tries. */
  async settle(url: string, transient: string[]): Promise<Reply> {
    for (let i = 0; i < POLL_TRIES_MAX; i++) {
      const res = await this.get(url);
      expect(res.status, res.text).toBe(200);
      if (!transient.includes(str(res.body, 'status'))) return res;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`${url} did not settle after ${POLL_TRIES_MAX} tries`);
  }

  /** Tops up a wallet and waits for the simulated channel's callback; returns the final top-up. */
  async topup(walletId: string, amountMinor: string): Promise<Reply> {
    const id = await this.startTopup(walletId, amountMinor);
    const done = await this.settle(`/v1/topups/${id}`, ['pending']);
    expect(str(done.body, 'status')).toBe('succeeded');
    return done;
  }

  /** A customer whose CNY wallet holds the given amounts, each credited by its own top-up. */
  async fundedCustomer(displayName: string, ...topupsMinor: string[]) {
    const c = await this.customer(displayName);
    for (const amount of topupsMinor) await this.topup(c.walletId, amount);
    return c;
  }

  async account(id: string) {
    const res = await this.get(`/v1/accounts/${id}`);
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  async balance(id: string): Promise<Balance> {
    const a = await this.account(id);
    return {
      posted: minor(a, 'postedMinor'),
      held: minor(a, 'heldMinor'),
      available: minor(a, 'availableMinor'),
    };
  }

  async transfer(fromWalletId: string, toWalletId: string, amountMinor: string, memo?: string) {
    return this.post('/v1/transfers', {
      fromWalletId,
      toWalletId,
      amountMinor,
      currency: 'CNY',
      ...(memo === undefined ? {} : { memo }),
    });
  }
}

let residentSeq = 0;

/**
 * A valid mainland resident ID number (right check character), different on every call in
 * this process: Beijing Dongcheng, birth dates from 1970 on, sequence 100–997 (the
 * simulated provider's special sequences 998 and 999 are never produced unless asked for).
 */
export function residentId(sequence?: string): string {
  const n = residentSeq++;
  const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(n / 898) * 86_400_000);
  const seq = sequence ?? String(100 + (n % 898));
  const first17 = `110101${birth.toISOString().slice(0, 10).replaceAll('-', '')}${seq}`;
  return `${first17}${residentIdCheckChar(first17)}`;
}

/**
 * Verifies a customer to tier 2 through the KYC API with `bw.app.inject`, for tests that
 * post directly instead of through `Api`.
 */
export async function verifyCustomer(bw: TestBulwark, customerId: string, name: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await bw.app.inject({
      method: 'POST',
      url: `/v1/customers/${customerId}/kyc/${path}`,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idemKey('kyc'),
        authorization: bw.integratorAuth,
      },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  await post('basic', { name, documentType: 'CN_RESIDENT_ID', documentNumber: residentId() });
  await post('full', {
    documentImages: { front: `upl_${customerId}` },
    livenessSessionId: `lv_${customerId}`,
  });
}

/** Asserts an RFC 9457 problem response with the given status and code, without internals. */
export function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
  for (const field of ['type', 'title', 'detail']) expect(typeof at(res.body, field)).toBe('string');
  expect(res.text).not.toMatch(/"stack"|\n\s+at /);
}
