// Serving the console: built files and the index page for the console's own routes, JSON problems for unknown API paths, and a page saying to build when there is no build.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp } from '../../src/platform/http.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { isReservedPath, registerConsole } from '../../src/web/static.ts';
import { useBulwark } from '../helpers.ts';

async function consoleApp(distDir: string) {
  const app = await createHttp({
    logger: createLogger('silent'),
    bodyLimitBytes: 65_536,
    rateLimitPerMinute: 0,
    requestLogging: { enabled: false },
  });
  app.get('/v1/ping', async () => ({ ok: true }));
  await registerConsole(app, { distDir });
  await app.ready();
  return app;
}

describe('console static serving', () => {
  const dist = mkdtempSync(join(tmpdir(), 'bulwark-console-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'main-abc123.js'), 'console.log("console");');
  let app: Awaited<ReturnType<typeof consoleApp>>;
  beforeAll(async () => {
    app = await consoleApp(dist);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers / and the console routes with the index page and its security headers', async () => {
    for (const url of ['/', '/overview', '/customers/cus_01jd8k2m3n4p5q6r7s8t9v0w1x', '/holds?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built assets with a long cache', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/main-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.body).toContain('console.log');
  });

  it('leaves the API paths to the API: unknown ones are JSON problems', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/ping' })).json()).toEqual({ ok: true });
    for (const url of ['/v1/nothing-here', '/v1', '/health/nothing', '/metrics/x', '/docs/nothing/here']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json().code).toBe('NOT_FOUND');
    }
    const post = await app.inject({ method: 'POST', url: '/customers', payload: {} });
    expect(post.statusCode).toBe(404);
    expect(post.json().code).toBe('NOT_FOUND');
  });

  it('tells which paths are reserved', () => {
    expect(isReservedPath('/v1')).toBe(true);
    expect(isReservedPath('/v1/customers')).toBe(true);
    expect(isReservedPath('/docs')).toBe(true);
    expect(isReservedPath('/healthy')).toBe(false);
    expect(isReservedPath('/v1x')).toBe(false);
    expect(isReservedPath('/customers')).toBe(false);
  });

  it('says to build when there is no build', async () => {
    const empty = await consoleApp(join(dist, 'missing'));
    try {
      const res = await empty.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('npm run build');
      expect((await empty.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(404);
    } finally {
      await empty.close();
    }
  });
});

describe('the whole process with the console registered', () => {
  const bw = useBulwark({ name: 'pglite' });

  it('keeps health, docs and API errors as they were', async () => {
    expect((await bw().app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' });
    const docs = await bw().app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).not.toContain('/*');
    const unknown = await bw().app.inject({ method: 'GET', url: '/v1/no-such-route' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      code: 'NOT_FOUND',
      detail: 'No route for GET /v1/no-such-route.',
    });
    const page = await bw().app.inject({ method: 'GET', url: '/approvals' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
  });
});
