/**
 * How the driver reaches Bulwark: over HTTP (global fetch, keep-alive) or in process
 * through Fastify's `inject` (tests, the in-process demo). A transport adds the API key
 * and the JSON content type; it throws only when no answer came at all.
 */

export interface TransportResponse {
  status: number;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
  /** Lower-case header names; the driver reads `retry-after`. */
  headers?: Record<string, string>;
}

export interface Transport {
  request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TransportResponse>;
}

/** A single request may take this long before it counts as failed (and is retried). */
const REQUEST_TIMEOUT_MS = 30_000;

function authorization(apiKey: string): string {
  return apiKey.startsWith('Bearer ') ? apiKey : `Bearer ${apiKey}`;
}

function parseJson(text: string, contentType: string): unknown {
  if (!contentType.includes('json') || text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** HTTP with Node's global fetch (undici keeps connections alive between requests). */
export function httpTransport(baseUrl: string, apiKey: string): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  const auth = authorization(apiKey);
  return {
    async request(method, path, body, headers = {}) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: auth,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      const out: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        out[name.toLowerCase()] = value;
      });
      return { status: res.status, body: parseJson(text, out['content-type'] ?? ''), headers: out };
    },
  };
}

/** The part of a Fastify instance `injectTransport` uses. */
export interface InjectTarget {
  inject(options: {
    method: 'GET' | 'POST';
    url: string;
    headers: Record<string, string>;
    payload?: string;
  }): PromiseLike<{
    statusCode: number;
    body: string;
    headers: Record<string, string | string[] | number | undefined>;
  }>;
}

/** In process, through `app.inject()`: no sockets, same routes, same hooks. */
export function injectTransport(app: InjectTarget, apiKey: string): Transport {
  const auth = authorization(apiKey);
  return {
    async request(method, path, body, headers = {}) {
      const res = await app.inject({
        method,
        url: path,
        headers: {
          authorization: auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined)
          out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      return { status: res.statusCode, body: parseJson(res.body, out['content-type'] ?? ''), headers: out };
    },
  };
}
