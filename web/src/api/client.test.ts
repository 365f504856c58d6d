// The console's API adapter: problem+json answers become catalogue codes, tokens are renewed before expiry and once on AUTH_TOKEN_EXPIRED, concurrent callers share one refresh, and a refused refresh ends the session.
import { describe, expect, it } from 'vitest';
import { ApiClient, type KeyValueStore, REFRESH_TOKEN_KEY, staffView } from './client.ts';
import { object, str } from './decode.ts';
import { ApiError, problemToError } from './errors.ts';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-down';

/** A scripted server: answers by "METHOD path" in order, and records every call. */
function fakeServer(script: Record<string, Answer[]>) {
  const calls: Call[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const headers = { ...((init?.headers ?? {}) as Record<string, string>) };
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, headers, body });
    const key = `${method} ${url.split('?')[0]}`;
    const answer = script[key]?.shift();
    if (!answer) throw new Error(`unscripted call ${key}`);
    if (answer === 'network-down') throw new TypeError('Failed to fetch');
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    return new Response(text.length > 0 ? text : null, { status: answer.status, headers: answer.headers });
  };
  return { fetchFn, calls };
}

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

/** A manual clock and timer queue. */
function manualTime(start = Date.parse('2026-11-21T10:00:00Z')) {
  let now = start;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let seq = 0;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      seq += 1;
      timers.push({ at: now + ms, fn, id: seq });
      return seq;
    },
    clearTimer: (h: unknown) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
    pending: () => timers.map((t) => t.at - now),
  };
}

const STAFF = { id: 'stf_1', email: 'a***@demo.dev', displayName: 'Ana', role: 'analyst', status: 'active' };
const iso = (ms: number) => new Date(ms).toISOString();
const pair = (now: number, n: number) => ({
  sessionId: 'ses_1',
  accessToken: `access-${n}`,
  accessTokenExpiresAt: iso(now + 900_000),
  refreshToken: `rt_${String(n).padStart(43, 'x')}`,
  refreshTokenExpiresAt: iso(now + 86_400_000),
  tokenType: 'Bearer',
});
const problem = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  status,
  body: { type: 'about:blank', title: code, status, code, detail: `detail of ${code}`, ...extra },
  headers: { 'content-type': 'application/problem+json' },
});
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('problem+json to catalogue codes', () => {
  it('keeps a known code and its wait', () => {
    const e = problemToError(429, problem('AUTH_TOO_MANY_ATTEMPTS', 429, { retryAfterS: 120 }).body, null);
    expect(e.code).toBe('AUTH_TOO_MANY_ATTEMPTS');
    expect(e.retryAfterS).toBe(120);
    expect(problemToError(429, problem('RATE_LIMITED', 429).body, '30').retryAfterS).toBe(30);
  });

  it('marks a code this console does not know as unexpected, keeping the server code', () => {
    const e = problemToError(409, problem('CASE_LOCKED', 409).body, null);
    expect(e.code).toBe('UNEXPECTED');
    expect(e.serverCode).toBe('CASE_LOCKED');
  });

  it('tells an API route this server lacks from a missing resource', () => {
    const missingRoute = problem('NOT_FOUND', 404, { detail: 'No route for GET /v1/overview.' }).body;
    expect(problemToError(404, missingRoute, null).code).toBe('NOT_AVAILABLE');
    expect(problemToError(404, problem('WALLET_CUSTOMER_NOT_FOUND', 404).body, null).code).toBe(
      'WALLET_CUSTOMER_NOT_FOUND',
    );
  });

  it('treats a body that is not a problem as unexpected', () => {
    expect(problemToError(502, null, null).code).toBe('UNEXPECTED');
    expect(problemToError(500, { error: 'boom' }, null).code).toBe('UNEXPECTED');
  });
});

describe('ApiClient', () => {
  const setup = (script: Record<string, Answer[]>, storage = memoryStore()) => {
    const time = manualTime();
    const server = fakeServer(script);
    const ended: ApiError[] = [];
    const client = new ApiClient({
      fetch: server.fetchFn,
      storage,
      now: time.now,
      setTimer: time.setTimer,
      clearTimer: time.clearTimer,
      onSessionEnded: (e) => ended.push(e),
    });
    return { client, time, server, storage, ended };
  };

  it('signs in without a token, keeps the access token in memory and only the refresh token in storage', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client, server, storage } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'GET /v1/staff/me': [{ status: 200, body: STAFF }],
    });
    const staff = await client.login({ email: 'a@demo.dev', password: 'pw', code: '123456' });
    expect(staff.role).toBe('analyst');
    expect(server.calls[0]?.headers.authorization).toBeUndefined();
    expect([...storage.data.entries()]).toEqual([[REFRESH_TOKEN_KEY, pair(t0, 1).refreshToken]]);
    await client.get('/v1/staff/me', staffView);
    expect(server.calls[1]?.headers.authorization).toBe('Bearer access-1');
  });

  it('accepts the token pair nested under tokens', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { tokens: pair(t0, 1), staff: STAFF } }],
    });
    expect((await client.login({ email: 'a', password: 'b', code: '123456' })).id).toBe('stf_1');
  });

  it('reports refused sign-ins by code, with the wait when locked', async () => {
    const { client, ended } = setup({
      'POST /v1/staff/auth/login': [
        problem('AUTH_INVALID_CREDENTIALS', 401),
        problem('AUTH_TOO_MANY_ATTEMPTS', 429, { retryAfterS: 900 }),
      ],
    });
    const first = await client.login({ email: 'a', password: 'b', code: '000000' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ApiError);
    expect(first).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS', status: 401 });
    const second = await client.login({ email: 'a', password: 'b', code: '000000' }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS', retryAfterS: 900 });
    expect(ended).toEqual([]);
  });

  it('renews silently a minute before expiry', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client, time, server, storage } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'POST /v1/auth/refresh': [{ status: 200, body: pair(t0 + 840_000, 2) }],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    expect(time.pending()).toEqual([840_000]);
    time.advance(840_000);
    await flush();
    const refresh = server.calls.find((c) => c.url === '/v1/auth/refresh');
    expect(refresh?.body).toEqual({ refreshToken: pair(t0, 1).refreshToken });
    expect(storage.data.get(REFRESH_TOKEN_KEY)).toBe(pair(t0, 2).refreshToken);
    expect(time.pending()).toEqual([840_000]);
  });

  it('refreshes once for concurrent calls with an expired access token', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const me = { status: 200, body: STAFF };
    const { client, time, server } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'POST /v1/auth/refresh': [{ status: 200, body: pair(t0 + 900_000, 2) }],
      'GET /v1/staff/me': [me, me, me],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    time.clearTimer(1); // the silent refresh is not what this test is about
    time.advance(900_000);
    await Promise.all([1, 2, 3].map(() => client.get('/v1/staff/me', staffView)));
    expect(server.calls.filter((c) => c.url === '/v1/auth/refresh')).toHaveLength(1);
    const authHeaders = server.calls
      .filter((c) => c.url === '/v1/staff/me')
      .map((c) => c.headers.authorization);
    expect(authHeaders).toEqual(['Bearer access-2', 'Bearer access-2', 'Bearer access-2']);
  });

  it('renews once and retries when the server says the token expired', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client, server } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'GET /v1/staff/me': [problem('AUTH_TOKEN_EXPIRED', 401), { status: 200, body: STAFF }],
      'POST /v1/auth/refresh': [{ status: 200, body: pair(t0, 2) }],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    expect((await client.get('/v1/staff/me', staffView)).id).toBe('stf_1');
    expect(server.calls.map((c) => `${c.method} ${c.url} ${c.headers.authorization ?? ''}`)).toEqual([
      'POST /v1/staff/auth/login ',
      'GET /v1/staff/me Bearer access-1',
      'POST /v1/auth/refresh ',
      'GET /v1/staff/me Bearer access-2',
    ]);
  });

  it('ends the session when the refresh is refused', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client, server, storage, ended } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'GET /v1/staff/me': [problem('AUTH_TOKEN_EXPIRED', 401)],
      'POST /v1/auth/refresh': [problem('AUTH_REFRESH_REUSED', 401)],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    const err = await client.get('/v1/staff/me', staffView).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_REFRESH_REUSED' });
    expect(ended.map((e) => e.code)).toEqual(['AUTH_REFRESH_REUSED']);
    expect(client.signedIn).toBe(false);
    expect(storage.data.size).toBe(0);
    expect(server.calls).toHaveLength(3);
  });

  it('restores a session after a reload from the stored refresh token', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const storage = memoryStore();
    storage.setItem(REFRESH_TOKEN_KEY, pair(t0, 1).refreshToken);
    const { client } = setup({ 'POST /v1/auth/refresh': [{ status: 200, body: pair(t0, 2) }] }, storage);
    expect(await client.restore()).toBe(true);
    expect(storage.data.get(REFRESH_TOKEN_KEY)).toBe(pair(t0, 2).refreshToken);

    const gone = memoryStore();
    gone.setItem(REFRESH_TOKEN_KEY, pair(t0, 3).refreshToken);
    const other = setup({ 'POST /v1/auth/refresh': [problem('AUTH_REFRESH_INVALID', 401)] }, gone);
    expect(await other.client.restore()).toBe(false);
    expect(gone.data.size).toBe(0);
  });

  it('sends the idempotency key, the JSON body and the query, and maps a dropped connection', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client, server } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'POST /v1/holds/hold_1/post': [{ status: 200, body: { hold: { id: 'hold_1', status: 'posted' } } }],
      'GET /v1/audit': ['network-down'],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    const held = object({ hold: object({ id: str, status: str }) });
    await client.post(
      '/v1/holds/hold_1/post',
      held,
      { reason: 'checked' },
      { idempotencyKey: 'key-12345678' },
    );
    const call = server.calls[1];
    expect(call?.headers['idempotency-key']).toBe('key-12345678');
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.body).toEqual({ reason: 'checked' });
    const err = await client
      .get('/v1/audit', object({}), { action: 'pii.reveal', cursor: undefined, limit: 50 })
      .catch((e: unknown) => e);
    expect(server.calls[2]?.url).toBe('/v1/audit?action=pii.reveal&limit=50');
    expect(err).toMatchObject({ code: 'NETWORK' });
  });

  it('reports an answer of the wrong shape as unexpected, naming the field', async () => {
    const t0 = Date.parse('2026-11-21T10:00:00Z');
    const { client } = setup({
      'POST /v1/staff/auth/login': [{ status: 200, body: { ...pair(t0, 1), staff: STAFF } }],
      'GET /v1/staff/me': [{ status: 200, body: { ...STAFF, role: 7 } }],
    });
    await client.login({ email: 'a', password: 'b', code: '123456' });
    const err = await client.get('/v1/staff/me', staffView).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNEXPECTED', message: 'role: expected a string' });
  });
});
