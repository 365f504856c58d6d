import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.ts';
import type { ActorType } from '../security/audit.ts';
import { isStaffRole, type Permission, type Role, type StaffRole } from './permissions.ts';

/** Who is calling, established by the authentication hook before any handler runs. */
export interface Principal {
  type: 'customer' | 'staff' | 'api_client';
  id: string;
  role: Role;
  /** The sign-in session (customers and staff); API clients have none. */
  sessionId?: string;
  /** How the session was authenticated: `pwd`, `otp`, `webauthn`, `key`. */
  amr: string[];
}

/**
 * What a route requires: `public` (no credentials, e.g. sign-in or a signed callback),
 * `customer` (a signed-in customer acting on their own account), `staff` (any signed-in
 * staff user, e.g. their own profile) or a permission from the matrix.
 */
export type AuthSpec = 'public' | 'customer' | 'staff' | { permission: Permission };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthSpec;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated principal; routes that are not public always have one. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('AUTH_REQUIRED');
  return req.principal;
}

/** The signed-in staff user: only staff hold the rule and model permissions, and only staff make approvals. */
export function staffOf(req: FastifyRequest): { id: string; role: StaffRole } {
  const p = principalOf(req);
  if (p.type !== 'staff' || !isStaffRole(p.role)) {
    throw new AppError('AUTH_FORBIDDEN', 'Only a signed-in staff user can do this.');
  }
  return { id: p.id, role: p.role };
}

/** Where a request came from, for audit records. */
export function requestMetaOf(req: FastifyRequest): { requestId: string; ip: string } {
  return { requestId: req.id, ip: req.ip };
}

/** The audit actor for a request. */
export function actorOf(req: FastifyRequest): { type: ActorType; id: string; role?: string } {
  const p = req.principal;
  if (!p) return { type: 'api_client', id: 'anonymous' };
  return { type: p.type, id: p.id, role: p.role };
}

/**
 * A customer may act only on their own resources; staff and API clients pass (their
 * permission was checked by the hook). Refused with 403, never with "not found", so the
 * answer does not depend on whether someone else's resource exists.
 */
export function assertActsFor(req: FastifyRequest, customerId: string): void {
  const p = principalOf(req);
  if (p.type === 'customer' && p.id !== customerId) {
    throw new AppError('AUTH_FORBIDDEN', 'A customer can act only on their own account.');
  }
}
