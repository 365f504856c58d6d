import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { StoredResponse } from '../ledger/commands.ts';
import { AppError, type FieldError, problem } from './errors.ts';
import { type IdempotencyContext, requestHash, validateIdempotencyKey } from './idempotency.ts';
import { httpDuration } from './metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: string;
  }
}

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpOptions {
  logger: Logger;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** Logs every request line while `enabled` (off in tests and benchmarks, and while the demo loads). */
  requestLogging: { enabled: boolean };
}

/** The idempotency scope of an unauthenticated request (public endpoints). */
const IDEMPOTENCY_SCOPE = 'public';

/**
 * Creates the Fastify instance with Bulwark's edge behaviour: strict JSON bodies (no
 * type coercion, unknown fields refused), RFC 9457 errors from the one catalogue,
 * rate limiting with Retry-After, request metrics and the OpenAPI document at /docs.
 */
export async function createHttp(options: HttpOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({
      disableRequestLogging: (req: FastifyRequest) =>
        !options.requestLogging.enabled || req.url.startsWith('/health'),
    }),
    bodyLimit: options.bodyLimitBytes,
    trustProxy: false,
    return503OnClosing: true,
    ajv: { customOptions: {} },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated strictly: "100" is an amount, 100 is a type error, never coerced.
  const strict = new Ajv({
    allErrors: true,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  const lenient = new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, strict: false });
  addFormats.default(strict);
  addFormats.default(lenient);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : lenient.compile(schema),
  );

  app.decorateRequest('rawBody', '');
  // JSON only: any other media type (text/plain included) is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    req.rawBody = text;
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError('MALFORMED_JSON'), undefined);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    httpDuration.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const body = toProblem(err, req);
    if (body.status >= 500) req.log.error({ err }, 'request failed');
    if (typeof body.retryAfterS === 'number') reply.header('retry-after', String(body.retryAfterS));
    if (body.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    void reply.code(body.status).type('application/problem+json').send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .type('application/problem+json')
      .send(problem('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}.`));
  });

  if (options.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      // Per credential when one is presented (an integrator's backend is one client however
      // many addresses it uses), per address otherwise.
      keyGenerator: (req) =>
        typeof req.headers.authorization === 'string' ? `auth:${req.headers.authorization}` : req.ip,
      // Health probes and metrics are never limited; channel callbacks are authenticated by
      // their signature and must not be lost to a limit meant for clients.
      allowList: (req) =>
        req.url.startsWith('/health') || req.url === '/metrics' || req.url.startsWith('/v1/channels/'),
      errorResponseBuilder: (_req, ctx) =>
        new AppError(
          'RATE_LIMITED',
          `Rate limit of ${ctx.max} requests per minute exceeded; retry in ${ctx.after}.`,
        ),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bulwark API',
        version: '0.1.0',
        description:
          'E-wallet ledger and money movement with risk control built in. Amounts are integer strings of minor units. ' +
          'Every POST takes an Idempotency-Key header. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key (`bwk_…`) for integrators, or an access token from /v1/auth/login (customers) or /v1/staff/auth/login (staff).',
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}

function toProblem(err: unknown, req: FastifyRequest) {
  if (err instanceof AppError) return { ...problem(err.code, err.message, err.extra), instance: req.url };
  const e = err as {
    code?: string;
    statusCode?: number;
    validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
    validationContext?: string;
    message?: string;
  };
  if (e.validation) {
    const errors: FieldError[] = e.validation.map((v) => {
      const extra = v.params?.additionalProperty ? ` (${String(v.params.additionalProperty)})` : '';
      return {
        path: `${e.validationContext ?? 'body'}${v.instancePath ?? ''}`,
        message: `${v.message ?? 'invalid'}${extra}`,
      };
    });
    const first = errors[0];
    return {
      ...problem('VALIDATION_FAILED', first ? `${first.path}: ${first.message}` : undefined, { errors }),
      instance: req.url,
    };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('REQUEST_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('MALFORMED_JSON');
  }
  if (e.statusCode === 429) return problem('RATE_LIMITED');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return problem('VALIDATION_FAILED', e.message);
  }
  return problem('INTERNAL');
}

/** The idempotency context of a mutating request: the key header and the hash of what was asked. */
/** The Idempotency-Key header of a mutating route, as the OpenAPI document shows it. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'Required. 8–128 characters; a retry replays the first answer.',
    }),
  ),
});

export function idempotencyOf(req: FastifyRequest): IdempotencyContext {
  const header = req.headers['idempotency-key'];
  const key = validateIdempotencyKey(Array.isArray(header) ? header[0] : header);
  const path = req.url.split('?')[0] ?? req.url;
  // Keys are per caller: two clients choosing the same key never see each other's responses.
  const p = req.principal;
  const scope = p ? `${p.type}:${p.id}` : IDEMPOTENCY_SCOPE;
  return { scope, key, requestHash: requestHash(req.method, path, req.body ?? null) };
}

/** Sends a stored (or fresh) response; problems go out as application/problem+json. */
export function sendStored(reply: FastifyReply, response: StoredResponse, replayed: boolean): FastifyReply {
  if (replayed) reply.header('idempotent-replayed', 'true');
  if (response.statusCode >= 400 || isProblem(response.body)) reply.type('application/problem+json');
  return reply.code(response.statusCode).send(response.body);
}

/** A problem body (a 202 "held for review" can be one): type, title, status and code. */
function isProblem(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.type === 'string' &&
    typeof b.title === 'string' &&
    typeof b.code === 'string' &&
    typeof b.status === 'number'
  );
}
