// The HTTP API: status of each namespace, the Zerodha login URL, the request_token hand-over, and
// stop. Errors share one catalog of stable codes. Nothing secret is ever in a response.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { loginUrl } from '../core/broker/auth';
import type { Config } from '../core/config/load';
import { BROKER_NAMESPACES } from '../core/domain/namespace';
import { createRedis } from '../core/redis/client';
import { loadBooks } from '../services/portfolio-manager/store';
import { currentView } from '../services/portfolio-manager/book';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../services/pipeline-monitor/metrics';
import { readReport } from '../services/pipeline-monitor/store';
import { NotRunningError, readServices, readStatus, stopNamespace, submitRequestToken, webUiWorkflowUrl } from './operations';
import { startupWorkflowId } from '../workflows/definitions';

/** Every error the API answers with: a stable code, its HTTP status, and a message for people. */
export const API_ERRORS = {
  BAD_REQUEST: 400,
  TOKEN_REJECTED: 422,
  NOT_RUNNING: 404,
  ZERODHA_DISABLED: 409,
  UPSTREAM_UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const namespaceParams = z.object({ namespace: z.enum(BROKER_NAMESPACES) });
const tokenBody = z.object({ request_token: z.string().min(1) });

export function buildApi(config: Config, client: Client, redis: Redis): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(API_ERRORS[error.code]).send({ error: { code: error.code, message: error.message } });
    }
    if (error instanceof z.ZodError) {
      const message = error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
      return reply.status(400).send({ error: { code: 'BAD_REQUEST', message } });
    }
    if (error instanceof NotRunningError) {
      return reply.status(404).send({ error: { code: 'NOT_RUNNING', message: error.message } });
    }
    // Fastify's own refusals of the request (unparsable JSON, unsupported content type, body too large).
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: (error as Error).message } });
    }
    return reply.status(503).send({ error: { code: 'UPSTREAM_UNAVAILABLE', message: 'Temporal did not answer; is the stack up?' } });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/api/namespaces/:namespace/status', async (request) => {
    const { namespace } = namespaceParams.parse(request.params);
    const [status, services] = await Promise.all([readStatus(client, namespace), readServices(client, namespace)]);
    return { ...status, webUi: webUiWorkflowUrl(config, startupWorkflowId(namespace)), supervisors: services };
  });

  // The pipeline monitor's latest report (stage ages, throughput, lag, DLQ counts, overall state).
  app.get('/api/namespaces/:namespace/pipeline', async (request) => {
    const { namespace } = namespaceParams.parse(request.params);
    const report = await readReport(redis, namespace);
    if (!report) throw new ApiError('NOT_RUNNING', `no pipeline report for '${namespace}' yet: is its pipeline monitor running?`);
    return report;
  });

  // Each strategy's positions, cash and P&L as the portfolio manager last committed them (paise).
  app.get('/api/namespaces/:namespace/portfolio', async (request) => {
    const { namespace } = namespaceParams.parse(request.params);
    const books = await loadBooks(redis, namespace);
    return { namespace, strategies: [...books.values()].map(currentView) };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(METRICS_CONTENT_TYPE);
    return renderMetrics({ redis, namespaces: BROKER_NAMESPACES });
  });

  app.get('/api/auth/login-url', async () => {
    if (!config.zerodha.enabled) throw new ApiError('ZERODHA_DISABLED', 'Zerodha is disabled (ZERODHA__ENABLED=false): no login needed');
    return { loginUrl: loginUrl(config) };
  });

  app.post('/api/namespaces/:namespace/request-token', async (request) => {
    const { namespace } = namespaceParams.parse(request.params);
    const { request_token: token } = tokenBody.parse(request.body);
    const result = await submitRequestToken(client, namespace, token);
    if (!result.accepted) throw new ApiError('TOKEN_REJECTED', result.message);
    return result;
  });

  app.post('/api/namespaces/:namespace/stop', async (request) => {
    const { namespace } = namespaceParams.parse(request.params);
    return { stopped: namespace, ...(await stopNamespace(client, namespace)) };
  });

  return app;
}

export async function startApi(config: Config, client: Client): Promise<{ app: FastifyInstance; url: string }> {
  const redis = createRedis(config);
  const app = buildApi(config, client, redis);
  app.addHook('onClose', async () => void redis.disconnect());
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  return { app, url };
}
