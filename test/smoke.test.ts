// Proves the app boots on every configured database and answers health and docs.
import { describe, expect, it } from 'vitest';
import { DATABASES, useBulwark } from './helpers.ts';

for (const target of DATABASES) {
  describe(`boot on ${target.name}`, () => {
    const bw = useBulwark(target);
    it('is live and ready, serves OpenAPI and metrics', async () => {
      const live = await bw().app.inject({ method: 'GET', url: '/health/live' });
      expect(live.statusCode).toBe(200);
      const ready = await bw().app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json()).toMatchObject({ status: 'ready', database: target.name });
      const docs = await bw().app.inject({ method: 'GET', url: '/docs/json' });
      expect(docs.statusCode).toBe(200);
      expect(Object.keys(docs.json().paths)).toContain('/v1/transfers');
      const metrics = await bw().app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain('bulwark_ledger_custody_check_ok');
    });
  });
}
