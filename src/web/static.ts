import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { App } from '../platform/http.ts';

/** Where `npm run build` puts the console (vite build of web/). */
export const CONSOLE_DIST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Paths that belong to the API and operations; the console never answers for them. */
const RESERVED_PREFIXES = ['/v1', '/docs', '/health', '/metrics'];

export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * The console's page may load its own scripts and styles and call this API, nothing else.
 * Styles may be inline: the component library sets CSS variables in style attributes.
 */
const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bulwark console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The Bulwark console is not built</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload this page.</p>
<p>The API is up: see <a href="/docs">/docs</a>.</p>
</body></html>
`;

function sendPage(reply: FastifyReply, html: string): FastifyReply {
  for (const [k, v] of Object.entries(CONSOLE_HEADERS)) reply.header(k, v);
  return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
}

/**
 * Serves the built console at / with a fallback to its index page for the console's own
 * routes (/customers/…, /holds/…), so a reload or a shared link works. Registered after
 * every API route: a GET under /v1, /docs, /health or /metrics that no route answers
 * still gets the API's JSON 404 problem. Without a build, / says how to make one.
 */
export async function registerConsole(app: App, options: { distDir?: string } = {}): Promise<void> {
  const distDir = options.distDir ?? CONSOLE_DIST_DIR;
  const indexFile = join(distDir, 'index.html');
  const index = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : null;

  if (index !== null) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      // One route per built file, read at start: the catch-all below answers everything else.
      wildcard: false,
      index: false,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('x-content-type-options', 'nosniff');
        // Built asset names carry a content hash, so they never change; anything else is revalidated.
        res.setHeader(
          'cache-control',
          path.startsWith(join(distDir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }

  app.get('/*', { schema: { hide: true } }, (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (isReservedPath(path)) return reply.callNotFound();
    return sendPage(reply, index ?? NOT_BUILT_PAGE);
  });
}
