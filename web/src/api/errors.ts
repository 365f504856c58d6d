import { ERRORS, type ErrorCode } from '../../../src/platform/errors.ts';

/** Failures the console itself names: the server was not reached, answered something unexpected, or lacks an endpoint. */
export const CLIENT_ERROR_CODES = ['NETWORK', 'UNEXPECTED', 'NOT_AVAILABLE', 'SESSION_ENDED'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
export type ConsoleErrorCode = ErrorCode | ClientErrorCode;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERRORS, value);
}

/**
 * A failed call, carrying the catalogue code the screen maps to a localized message.
 * The server's own detail is kept for the record but never shown as the message.
 */
export class ApiError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    readonly status: number,
    readonly detail: string,
    /** Seconds to wait, when the server said (AUTH_TOO_MANY_ATTEMPTS, RATE_LIMITED). */
    readonly retryAfterS: number | null = null,
    /** The code as the server sent it, when it is not in the catalogue this console knows. */
    readonly serverCode: string | null = null,
    /** The problem's extension members (e.g. `errors` with positions), for pages that show them. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds the error of a non-2xx answer from its problem+json body (or whatever came instead). */
export function problemToError(status: number, body: unknown, retryAfterHeader: string | null): ApiError {
  const headerWait =
    retryAfterHeader !== null && /^[0-9]{1,6}$/.test(retryAfterHeader) ? Number(retryAfterHeader) : null;
  if (!isRecord(body) || typeof body.code !== 'string') {
    return new ApiError('UNEXPECTED', status, `HTTP ${status}`, headerWait);
  }
  const detail = typeof body.detail === 'string' ? body.detail : '';
  const wait =
    typeof body.retryAfterS === 'number' && Number.isFinite(body.retryAfterS) ? body.retryAfterS : headerWait;
  // An API route that this server does not have yet (another module's endpoint) is not a missing resource.
  if (status === 404 && body.code === 'NOT_FOUND' && detail.startsWith('No route for')) {
    return new ApiError('NOT_AVAILABLE', status, detail);
  }
  const { type: _t, title: _ti, status: _s, code: _c, detail: _d, instance: _i, ...extensions } = body;
  if (!isErrorCode(body.code)) return new ApiError('UNEXPECTED', status, detail, wait, body.code, extensions);
  return new ApiError(body.code, status, detail, wait, null, extensions);
}

/** Anything thrown while calling the API, as an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('UNEXPECTED', 0, err instanceof Error ? err.message : String(err));
}
