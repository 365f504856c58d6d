import { DecodeError, type Decoder, decode, nullable, object, str } from './decode.ts';
import { ApiError, problemToError } from './errors.ts';

/**
 * The console's one way to the API. The access token lives in memory only; the refresh
 * token is kept in sessionStorage (this tab, this browser session) so a reload does not
 * sign the user out. The access token is renewed silently shortly before it expires, and
 * once more when the server says it has expired; a refresh the server refuses ends the
 * session. Every failure comes out as an ApiError with a catalogue code.
 */

export interface TokenSet {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
}

export interface StaffView {
  id: string;
  email: string;
  displayName: string;
  role: string;
  status: string;
}

export const staffView: Decoder<StaffView> = object({
  id: str,
  email: str,
  displayName: str,
  role: str,
  status: str,
});

const tokenSet: Decoder<TokenSet> = object({
  accessToken: str,
  accessTokenExpiresAt: str,
  refreshToken: str,
});

/** The sign-in answer: the token pair at the top level or under `tokens`, and the staff user. */
const loginAnswer = (v: unknown, path: string): { tokens: TokenSet; staff: StaffView | null } => {
  const outer = object({ tokens: nullable(tokenSet), staff: nullable(staffView) })(v, path);
  return { tokens: outer.tokens ?? tokenSet(v, path), staff: outer.staff };
};

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Where the refresh token survives a reload; null keeps it in memory only. */
  storage?: KeyValueStore | null;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** How long before expiry the access token is renewed. */
  refreshLeadMs?: number;
  /** Called once when the session can no longer be renewed (refused refresh, revoked session). */
  onSessionEnded?: (reason: ApiError) => void;
}

export const REFRESH_TOKEN_KEY = 'bulwark.console.refreshToken';
const SESSION_ENDING_CODES = new Set(['AUTH_REFRESH_INVALID', 'AUTH_REFRESH_REUSED', 'AUTH_SESSION_REVOKED']);
const RETRY_AFTER_NETWORK_MS = 15_000;
const MIN_TIMER_MS = 1_000;

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  /** Sent as Idempotency-Key: the same key for a retry of the same action. */
  idempotencyKey?: string;
}

export class ApiClient {
  private tokens: TokenSet | null = null;
  private refreshing: Promise<void> | null = null;
  private timer: unknown = null;
  private readonly fetchFn: typeof fetch;
  private readonly storage: KeyValueStore | null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly refreshLeadMs: number;
  private readonly baseUrl: string;
  onSessionEnded: ((reason: ApiError) => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.storage = options.storage ?? null;
    this.now = options.now ?? (() => Date.now());
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer =
      options.clearTimer ??
      ((h) => {
        if (typeof h === 'number') clearTimeout(h);
      });
    this.refreshLeadMs = options.refreshLeadMs ?? 60_000;
    this.onSessionEnded = options.onSessionEnded;
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  /** True when a refresh token from an earlier page load may restore the session. */
  get canRestore(): boolean {
    return this.tokens !== null || this.storage?.getItem(REFRESH_TOKEN_KEY) != null;
  }

  async login(input: { email: string; password: string; code: string }): Promise<StaffView> {
    const raw = await this.send('POST', '/v1/staff/auth/login', { body: input }, false);
    const answer = decodeOrThrow(loginAnswer, raw);
    this.setTokens(answer.tokens);
    return answer.staff ?? this.get('/v1/staff/me', staffView);
  }

  /** Renews the session from the stored refresh token; false when there is none or it was refused. */
  async restore(): Promise<boolean> {
    if (this.tokens) return true;
    const stored = this.storage?.getItem(REFRESH_TOKEN_KEY);
    if (!stored) return false;
    try {
      await this.refresh(stored);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'NETWORK') throw err;
      this.clear();
      return false;
    }
  }

  async logout(): Promise<void> {
    try {
      if (this.tokens) await this.send('POST', '/v1/staff/auth/logout', {}, false);
    } catch {
      // The local session ends whatever the server answered; its token expires on its own.
    } finally {
      this.clear();
    }
  }

  async get<T>(path: string, decoder: Decoder<T>, query?: RequestOptions['query']): Promise<T> {
    return decodeOrThrow(decoder, await this.send('GET', path, query ? { query } : {}, true));
  }

  async post<T>(
    path: string,
    decoder: Decoder<T>,
    body: unknown,
    options: { idempotencyKey?: string } = {},
  ): Promise<T> {
    return decodeOrThrow(decoder, await this.send('POST', path, { body, ...options }, true));
  }

  /**
   * A file the API serves as bytes (a case attachment). The token travels in a header, so
   * a plain link cannot fetch it; failures come out as ApiError like every other call.
   */
  async download(path: string): Promise<Blob> {
    await this.freshToken();
    if (!this.tokens) throw new ApiError('SESSION_ENDED', 401, 'not signed in');
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, undefined), {
        method: 'GET',
        headers: { authorization: `Bearer ${this.tokens.accessToken}` },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError('NETWORK', 0, err instanceof Error ? err.message : 'the server did not answer');
    }
    if (res.ok) return res.blob();
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    throw this.failed(problemToError(res.status, body, res.headers.get('retry-after')));
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    authed: boolean,
  ): Promise<unknown> {
    if (authed) await this.freshToken();
    const first = await this.once(method, path, options, authed);
    if (first.ok) return first.body;
    // An access token can expire between the check and the server (a sleeping laptop): renew once.
    if (authed && first.error.code === 'AUTH_TOKEN_EXPIRED' && this.tokens) {
      await this.refresh(this.tokens.refreshToken);
      const second = await this.once(method, path, options, authed);
      if (second.ok) return second.body;
      throw this.failed(second.error);
    }
    throw authed ? this.failed(first.error) : first.error;
  }

  private failed(error: ApiError): ApiError {
    if (SESSION_ENDING_CODES.has(error.code) || (error.code === 'AUTH_TOKEN_EXPIRED' && !this.tokens)) {
      this.endSession(error);
    }
    return error;
  }

  private async once(
    method: string,
    path: string,
    options: RequestOptions,
    authed: boolean,
  ): Promise<{ ok: true; body: unknown } | { ok: false; error: ApiError }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authed) {
      if (!this.tokens) return { ok: false, error: new ApiError('SESSION_ENDED', 401, 'not signed in') };
      headers.authorization = `Bearer ${this.tokens.accessToken}`;
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, options.query), {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      return {
        ok: false,
        error: new ApiError('NETWORK', 0, err instanceof Error ? err.message : 'the server did not answer'),
      };
    }
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (res.ok) {
      if (text.length > 0 && body === null) {
        return { ok: false, error: new ApiError('UNEXPECTED', res.status, 'the answer is not JSON') };
      }
      return { ok: true, body };
    }
    return { ok: false, error: problemToError(res.status, body, res.headers.get('retry-after')) };
  }

  private url(path: string, query: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Renews the access token first when it is about to expire. */
  private async freshToken(): Promise<void> {
    if (this.refreshing) await this.refreshing;
    if (!this.tokens) return;
    if (Date.parse(this.tokens.accessTokenExpiresAt) - this.now() > 5_000) return;
    await this.refresh(this.tokens.refreshToken);
  }

  /** One refresh at a time: each refresh token works once, so concurrent callers share it. */
  private refresh(refreshToken: string): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const r = await this.once('POST', '/v1/auth/refresh', { body: { refreshToken } }, false);
        if (!r.ok) {
          if (r.error.code !== 'NETWORK') this.endSession(r.error);
          throw r.error;
        }
        this.setTokens(decodeOrThrow(tokenSet, r.body));
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private setTokens(tokens: TokenSet): void {
    this.tokens = tokens;
    this.storage?.setItem(REFRESH_TOKEN_KEY, tokens.refreshToken);
    this.schedule();
  }

  /** Silent refresh: renews the pair ahead of the access token's expiry. */
  private schedule(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    if (!this.tokens) return;
    const dueMs = Date.parse(this.tokens.accessTokenExpiresAt) - this.now() - this.refreshLeadMs;
    this.timer = this.setTimer(() => this.silentRefresh(), Math.max(MIN_TIMER_MS, dueMs));
  }

  private silentRefresh(): void {
    this.timer = null;
    const tokens = this.tokens;
    if (!tokens) return;
    this.refresh(tokens.refreshToken).catch((err: unknown) => {
      // The server was not reached: try again a little later while the session lasts.
      if (err instanceof ApiError && err.code === 'NETWORK' && this.tokens) {
        this.timer = this.setTimer(() => this.silentRefresh(), RETRY_AFTER_NETWORK_MS);
      }
    });
  }

  private endSession(reason: ApiError): void {
    const wasSignedIn = this.tokens !== null;
    this.clear();
    if (wasSignedIn) this.onSessionEnded?.(reason);
  }

  private clear(): void {
    this.tokens = null;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.storage?.removeItem(REFRESH_TOKEN_KEY);
  }
}

function decodeOrThrow<T>(decoder: Decoder<T>, value: unknown): T {
  try {
    return decode(decoder, value);
  } catch (err) {
    if (err instanceof DecodeError) throw new ApiError('UNEXPECTED', 200, err.message);
    throw err;
  }
}
