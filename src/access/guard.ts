import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SessionService } from '../identity/sessions.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { App } from '../platform/http.ts';
import { appendAudit } from '../security/audit.ts';
import type { ApiClientService } from './api-clients.ts';
import { can } from './permissions.ts';
import type { AuthSpec, Principal } from './principal.ts';
import type { TokenService } from './tokens.ts';

export interface GuardDeps {
  db: Db;
  tokens: TokenService;
  sessions: SessionService;
  apiClients: ApiClientService;
  clock: Clock;
  log: Logger;
}

/** One route's declared requirement, as collected at registration (the route × role test walks these). */
export interface RouteAuth {
  method: string;
  url: string;
  auth: AuthSpec;
}

/** Routes under this prefix must declare what they require; registration fails otherwise. */
const API_PREFIX = '/v1/';

/**
 * Installs authentication and authorisation on every API route. Must run before the
 * routes are registered: a route under /v1/ without an `auth` declaration is a startup
 * error, so no endpoint can be added unprotected by accident.
 */
export function installGuard(app: App, deps: GuardDeps): RouteAuth[] {
  const routes: RouteAuth[] = [];
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (!route.url.startsWith(API_PREFIX)) return;
    if (!auth) throw new Error(`route ${String(route.method)} ${route.url} declares no auth requirement`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, auth });
    }
  });

  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (!auth || auth === 'public') return;
    const principal = await authenticate(req, deps);
    req.principal = principal;
    if (authorised(principal, auth)) return;
    await recordDenied(req, principal, auth, deps);
    throw new AppError('AUTH_FORBIDDEN', forbiddenDetail(principal, auth));
  });

  return routes;
}

function authorised(p: Principal, auth: Exclude<AuthSpec, 'public'>): boolean {
  if (auth === 'customer') return p.type === 'customer';
  if (auth === 'staff') return p.type === 'staff';
  return can(p.role, auth.permission);
}

function forbiddenDetail(p: Principal, auth: Exclude<AuthSpec, 'public'>): string {
  if (auth === 'customer') return 'Only a signed-in customer can use this endpoint.';
  if (auth === 'staff') return 'Only a signed-in staff user can use this endpoint.';
  return `The role "${p.role}" lacks the permission "${auth.permission}".`;
}

async function authenticate(req: FastifyRequest, deps: GuardDeps): Promise<Principal> {
  const header = req.headers.authorization;
  if (!header) throw new AppError('AUTH_REQUIRED', 'Send Authorization: Bearer <access token or API key>.');
  const m = /^Bearer ([\x21-\x7e]{10,4096})$/.exec(header);
  const credential = m?.[1];
  if (!credential)
    throw new AppError('AUTH_TOKEN_INVALID', 'The Authorization header must be "Bearer <token>".');
  if (credential.startsWith('bwk_')) {
    try {
      return await deps.apiClients.authenticate(credential);
    } catch (err) {
      await recordRejected(req, 'api_key', deps);
      throw err;
    }
  }
  let claims: Awaited<ReturnType<TokenService['verify']>>;
  try {
    claims = await deps.tokens.verify(credential, deps.clock.now());
  } catch (err) {
    if (err instanceof AppError && err.code === 'AUTH_TOKEN_INVALID')
      await recordRejected(req, 'token', deps);
    throw err;
  }
  if (!(await deps.sessions.isActive(claims.sid))) throw new AppError('AUTH_SESSION_REVOKED');
  return { type: claims.typ, id: claims.sub, role: claims.role, sessionId: claims.sid, amr: claims.amr };
}

/** A forged or foreign credential is a security event: audited with the caller's address. */
async function recordRejected(req: FastifyRequest, kind: 'api_key' | 'token', deps: GuardDeps) {
  try {
    await deps.db.transaction().execute((tx) =>
      appendAudit(tx, [
        {
          actorType: 'api_client',
          actorId: 'anonymous',
          action: kind === 'api_key' ? 'auth.api_key.rejected' : 'auth.token.rejected',
          targetType: 'route',
          targetId: `${req.method} ${req.routeOptions.url ?? req.url}`,
          requestId: req.id,
          ip: req.ip,
          at: deps.clock.now(),
        },
      ]),
    );
  } catch (err) {
    deps.log.error({ err }, 'could not audit a rejected credential');
  }
}

async function recordDenied(
  req: FastifyRequest,
  p: Principal,
  auth: Exclude<AuthSpec, 'public'>,
  deps: GuardDeps,
) {
  await deps.db.transaction().execute((tx) =>
    appendAudit(tx, [
      {
        actorType: p.type,
        actorId: p.id,
        actorRole: p.role,
        action: 'auth.permission_denied',
        targetType: 'route',
        targetId: `${req.method} ${req.routeOptions.url ?? req.url}`,
        after: { required: typeof auth === 'string' ? auth : auth.permission },
        requestId: req.id,
        ip: req.ip,
        at: deps.clock.now(),
      },
    ]),
  );
}
