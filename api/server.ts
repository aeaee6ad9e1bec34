// The HTTP API, versioned under /api/v1 and described at /openapi.json (Swagger UI at /docs).
// Every request passes the Host and Origin checks, the rate limit and, but for health, readiness
// and the Kite callback, the bearer token before a route sees it (./security). Errors share one
// catalog of stable codes (./errors). Nothing secret is ever in a response.
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config/load';
import { Resources } from '../core/resources';
import type { ApiContext } from './context';
import { installErrorHandlers } from './errors';
import { installZodCompilers, openApiTransform } from './route';
import { registerAuthRoutes } from './routes/auth';
import { registerCodecRoutes } from './routes/codec';
import { registerNamespaceRoutes } from './routes/namespaces';
import { registerStrategyRoutes } from './routes/strategies';
import { registerSystemRoutes } from './routes/system';
import { registerTradingRoutes } from './routes/trading';
import { generateApiToken, installGuards } from './security';

export { API_ERRORS, ApiError, type ApiErrorCode } from './errors';

/** Requests carry small JSON bodies; anything larger is refused with 413 before it is parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface ApiOptions {
  config: Config;
  client: Client;
  resources: Resources;
  /** The bearer token; defaults to API__TOKEN (`alpha-panda run` passes the one it generated). */
  token?: string;
}

export async function buildApi({ config, client, resources, token = config.api.token }: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, trustProxy: false });
  installZodCompilers(app);
  installErrorHandlers(app);
  // Only JSON bodies: a text/plain or form POST is what a cross-site page can send without a
  // preflight, so it is refused (415) even before the Origin check would matter.
  app.removeContentTypeParser(['text/plain']);

  await app.register(rateLimit, { global: false });
  installGuards(app, config, token);
  await app.register(cors, {
    origin: config.api.corsOrigins.length > 0 ? [...config.api.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // x-namespace: what a codec client (the Temporal Web UI) sends with /api/v1/codec requests.
    allowedHeaders: ['authorization', 'content-type', 'x-namespace'],
    maxAge: 600,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Alpha Panda API', version: '1.0.0', description: 'Algorithmic trading on Zerodha: startup, services, portfolios, orders, strategies, kill switch. Money in integer paise.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API__TOKEN' } } },
      security: [{ bearer: [] }],
    },
    transform: openApiTransform,
  });
  // The docs are behind the token like everything else but health, readiness and the callback.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const context: ApiContext = { config, client, resources };
  registerSystemRoutes(app, context);
  registerAuthRoutes(app, context);
  registerNamespaceRoutes(app, context);
  registerTradingRoutes(app, context);
  registerStrategyRoutes(app, context);
  registerCodecRoutes(app, context);
  return app;
}

export interface StartedApi {
  app: FastifyInstance;
  url: string;
  /** The bearer token in force: API__TOKEN, or the one generated for this start. */
  token: string | undefined;
  generatedToken: boolean;
}

/** Listens on API__HOST:API__PORT; generates a token for this start when API__TOKEN is unset. */
export async function startApi(config: Config, client: Client): Promise<StartedApi> {
  const generatedToken = config.auth.enableUserAuth && config.api.token === '';
  const token = generatedToken ? generateApiToken() : config.api.token || undefined;
  const resources = new Resources(config);
  const app = await buildApi({ config, client, resources, token });
  app.addHook('onClose', async () => resources.close());
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  return { app, url, token, generatedToken };
}
