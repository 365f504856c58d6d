// Walks every API route × every role: the guard lets a role through exactly when the permission matrix grants the route's permission, refuses everyone else with 403 (audited), and refuses a request without credentials with 401.
import { describe, expect, it } from 'vitest';
import { ALL_ROLES, can, isStaffRole, type Role } from '../../src/access/permissions.ts';
import { newId } from '../../src/platform/ids.ts';
import { DATABASES, idemKey, staffSession, useBulwark } from '../helpers.ts';

const FORBIDDEN_BY_GUARD = /lacks the permission|Only a signed-in (customer|staff user)/;

for (const target of DATABASES) {
  describe(`route × role authorisation on ${target.name}`, () => {
    const bw = useBulwark(target);

    /** A fresh credential per request, so a route that ends a session cannot affect the next. */
    const credential = async (role: Role): Promise<string> => {
      if (role === 'integrator') return bw().integratorAuth;
      if (isStaffRole(role)) return (await staffSession(bw(), role)).auth;
      const id = newId('cus');
      const pair = await bw()
        .dbHandle.db.transaction()
        .execute(async (tx) => {
          await tx.insertInto('customers').values({ id, display_name: 'Matrix' }).execute();
          return bw().sessions.start(tx, { type: 'customer', id, role: 'customer', amr: ['pwd'] }, {});
        });
      return `Bearer ${pair.pair.accessToken}`;
    };

    const call = async (method: string, url: string, authorization: string | undefined) => {
      const path = url.replace(/:([A-Za-z]+)/g, (_m, name: string) =>
        name === 'channel' ? 'simbank' : `x_${name}_00000000000000000000000000`,
      );
      const res = await bw().app.inject({
        method: method as 'GET' | 'POST',
        url: path,
        headers: {
          ...(authorization ? { authorization } : {}),
          ...(method === 'POST'
            ? { 'content-type': 'application/json', 'idempotency-key': idemKey('matrix') }
            : {}),
        },
        ...(method === 'POST' ? { payload: '{}' } : {}),
      });
      const body = res.headers['content-type']?.toString().includes('json') ? res.json() : {};
      return { status: res.statusCode, body: body as { code?: string; detail?: string } };
    };

    it('covers every route with a declared requirement', () => {
      const routes = bw().routeAuth;
      expect(routes.length).toBeGreaterThan(40);
      expect(routes.filter((r) => r.auth === 'public').map((r) => r.url)).toEqual(
        expect.arrayContaining(['/v1/auth/login', '/v1/auth/register', '/v1/channels/:channel/callbacks']),
      );
    });

    it('refuses every non-public route without credentials', async () => {
      for (const r of bw().routeAuth) {
        if (r.auth === 'public') continue;
        const res = await call(r.method, r.url, undefined);
        expect(res.status, `${r.method} ${r.url}`).toBe(401);
        expect(res.body.code).toBe('AUTH_REQUIRED');
      }
    });

    it('lets each role through exactly where the matrix allows', async () => {
      const failures: string[] = [];
      let allowedSeen = 0;
      for (const r of bw().routeAuth) {
        if (r.auth === 'public') continue;
        for (const role of ALL_ROLES) {
          const allowed =
            r.auth === 'customer'
              ? role === 'customer'
              : r.auth === 'staff'
                ? isStaffRole(role)
                : can(role, r.auth.permission);
          const res = await call(r.method, r.url, await credential(role));
          const deniedByGuard = res.status === 403 && FORBIDDEN_BY_GUARD.test(res.body.detail ?? '');
          if (res.status === 401) failures.push(`${role} ${r.method} ${r.url}: 401 ${res.body.code}`);
          else if (allowed && deniedByGuard)
            failures.push(`${role} ${r.method} ${r.url}: refused but allowed`);
          else if (!allowed && !deniedByGuard)
            failures.push(`${role} ${r.method} ${r.url}: ${res.status} but not allowed`);
          if (allowed) allowedSeen++;
        }
      }
      expect(failures).toEqual([]);
      expect(allowedSeen).toBeGreaterThan(50);
      const denied = await bw()
        .dbHandle.db.selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('action', '=', 'auth.permission_denied')
        .executeTakeFirstOrThrow();
      expect(Number(denied.n)).toBeGreaterThan(50);
    });
  });
}
