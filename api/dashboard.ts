// The dashboard at `/`: a page, its stylesheet and one script bundled from dashboard/ with
// esbuild when first asked for (a fraction of a second), and again when a source file changed, so
// nothing built is kept in the checkout and nothing goes stale. The page and assets carry no data,
// so they are served without the token (the Host and Origin checks still apply); every figure
// comes from the API with the token the page asks for.
import { readdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const SOURCE_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

/** Scripts and styles only from this origin; no inline script; the API only on this origin. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // lightweight-charts sizes its canvases through style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Built {
  stamp: number;
  script: string;
}
let built: Promise<Built> | undefined;

async function sourceStamp(): Promise<number> {
  const files = (await readdir(SOURCE_DIR)).filter((name) => /\.(ts|css|html)$/.test(name) && !name.endsWith('.test.ts'));
  const times = await Promise.all(files.map(async (name) => (await stat(`${SOURCE_DIR}${name}`)).mtimeMs));
  return Math.max(0, ...times);
}

async function bundle(stamp: number): Promise<Built> {
  // esbuild comes with tsx; imported on demand so that an API nobody opens in a browser never loads it.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [`${SOURCE_DIR}main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return { stamp, script: result.outputFiles[0]!.text };
}

/** The bundled script, rebuilt when a source file is newer than the last build. */
export async function dashboardScript(): Promise<string> {
  const stamp = await sourceStamp();
  const current = built && (await built.catch(() => undefined));
  if (current && current.stamp >= stamp) return current.script;
  const next = bundle(stamp);
  built = next;
  return (await next).script;
}

function assetHeaders(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

export function registerDashboard(app: FastifyInstance): void {
  // Not API routes: left out of the OpenAPI document, public like health (see the header comment).
  const options = { schema: { hide: true }, config: { public: true } };
  app.get('/', options, async (_request, reply) => assetHeaders(reply, 'text/html; charset=utf-8').send(await readFile(`${SOURCE_DIR}index.html`, 'utf8')));
  app.get('/dashboard/app.css', options, async (_request, reply) => assetHeaders(reply, 'text/css; charset=utf-8').send(await readFile(`${SOURCE_DIR}style.css`, 'utf8')));
  app.get('/dashboard/app.js', options, async (_request, reply) => assetHeaders(reply, 'text/javascript; charset=utf-8').send(await dashboardScript()));
}
