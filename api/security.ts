// What a request must pass before any route sees it: a Host this API answers to (against DNS
// rebinding: a hostile page whose name resolves to 127.0.0.1 still sends its own name), no
// foreign Origin (a cross-site form or fetch, which needs no CORS preflight for a text/plain
// POST), and the bearer token. The token is compared in constant time on equal-length digests.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../core/config/load';
import { ApiError } from './errors';

/** 32 random bytes, base64url: what `alpha-panda run` uses when API__TOKEN is unset. */
export function generateApiToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Host` values (lowercase host:port) this API answers to. */
export function allowedHosts(config: Pick<Config, 'api'>): Set<string> {
  const { host, port } = config.api;
  const bracket = (name: string) => (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name);
  const names = [host, 'localhost', '127.0.0.1', '::1'].map((name) => `${bracket(name.toLowerCase())}:${port}`);
  // A configured name without a port answers on any port (a reverse proxy on 443 sends none).
  const extra = config.api.allowedHosts.flatMap((name) => (/:\d+$/.test(name) ? [name] : [name, `${name}:${port}`]));
  return new Set([...names, ...extra]);
}

/** Origins (scheme://host[:port]) that may call the API: its own and API__CORS_ORIGINS. */
export function allowedOrigins(config: Pick<Config, 'api'>): Set<string> {
  const own = [...allowedHosts(config)].flatMap((host) => [`http://${host}`, `https://${host}`]);
  return new Set([...own, ...config.api.corsOrigins.map((origin) => origin.toLowerCase())]);
}

/** Refuses a foreign Host or Origin with 403, before rate limiting, authentication or parsing. */
export function hostAndOriginGuard(config: Pick<Config, 'api'>) {
  const hosts = allowedHosts(config);
  const origins = allowedOrigins(config);
  return async (request: FastifyRequest) => {
    const host = request.headers.host?.toLowerCase();
    if (!host || !hosts.has(host)) {
      throw new ApiError('forbidden', 'unexpected Host header: call the API by the address it listens on (see API__ALLOWED_HOSTS)');
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      throw new ApiError('forbidden', 'cross-origin request refused: the Origin is neither the API nor one of API__CORS_ORIGINS');
    }
  };
}

/** Requires `Authorization: Bearer <token>` on every route not marked public. */
export function bearerGuard(token: string) {
  return async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public) return;
    // A CORS preflight never carries credentials; it only answers which origins may ask.
    if (request.method === 'OPTIONS') return;
    const header = request.headers.authorization;
    const given = header && /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!given) throw new ApiError('unauthorized', 'send Authorization: Bearer <API__TOKEN>');
    if (!tokenMatches(given, token)) throw new ApiError('unauthorized', 'wrong API token');
  };
}

export function installGuards(app: FastifyInstance, config: Config, token: string | undefined): void {
  app.addHook('onRequest', hostAndOriginGuard(config));
  app.addHook('onRequest', app.rateLimit({
    max: config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `more than ${context.max} requests a minute from this address; retry in ${context.after}`),
  }));
  if (config.auth.enableUserAuth) {
    if (!token) throw new Error('the API needs API__TOKEN (or AUTH__ENABLE_USER_AUTH=false for local development)');
    app.addHook('onRequest', bearerGuard(token));
  }
}
