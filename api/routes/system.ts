// Liveness, readiness of each component, and the Prometheus metrics (the pipeline monitor's and
// the operator's: ../metrics).
import type { FastifyInstance } from 'fastify';
import { BROKER_NAMESPACES } from '../../core/domain/namespace';
import { METRICS_CONTENT_TYPE } from '../../core/metrics/series';
import { renderMetrics } from '../../services/pipeline-monitor/metrics';
import type { ApiContext } from '../context';
import { collectOperatorMetrics } from '../metrics';
import { route } from '../route';
import { healthSchema, readySchema } from '../schemas';
import { withTimeout } from '../timeout';

const READY_TIMEOUT_MS = 3_000;

async function probe(what: string, work: () => Promise<string>): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await withTimeout(work(), what, READY_TIMEOUT_MS) };
  } catch (error) {
    // A driver's message may name the address, never a password: URLs are not echoed here.
    return { ok: false, detail: (error as Error).message || `${what} failed` };
  }
}

export function registerSystemRoutes(app: FastifyInstance, { config, client, resources }: ApiContext): void {
  route(app, { method: 'GET', url: '/health', summary: 'Liveness: the API process answers', tags: ['system'], public: true, response: { status: 200, schema: healthSchema } }, async () => ({
    status: 'ok' as const,
  }));

  route(
    app,
    {
      method: 'GET',
      url: '/ready',
      summary: 'Readiness: Postgres, Redis, Kafka and Temporal each answer (503 when one does not)',
      tags: ['system'],
      public: true,
      response: { status: 200, schema: readySchema },
      otherResponses: { 503: readySchema },
    },
    async ({ reply }) => {
      const [postgres, redis, kafka, temporal] = await Promise.all([
        probe('Postgres', async () => {
          await resources.postgres().query('select 1');
          return 'answers';
        }),
        probe('Redis', async () => `answers ${await resources.redis().ping()}`),
        probe('Kafka', async () => {
          const admin = resources.kafka().admin();
          try {
            await admin.connect();
            const { brokers } = await admin.describeCluster();
            return `${brokers.length} broker(s)`;
          } finally {
            void admin.disconnect().catch(() => undefined);
          }
        }),
        probe('Temporal', async () => {
          const info = await client.workflowService.getSystemInfo({});
          return `server ${info.serverVersion || 'answers'}`;
        }),
      ]);
      const components = { postgres, redis, kafka, temporal };
      const ready = Object.values(components).every((component) => component.ok);
      reply.status(ready ? 200 : 503);
      return { status: ready ? ('ready' as const) : ('not_ready' as const), components };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics: pipelines, orders and fills, P&L and exposure, services, Zerodha session, Kite calls, market data',
      tags: ['system'],
      response: { status: 200, contentType: METRICS_CONTENT_TYPE },
    },
    async ({ reply }) => {
      reply.type(METRICS_CONTENT_TYPE);
      await collectOperatorMetrics({ config, client, resources, namespaces: BROKER_NAMESPACES });
      return renderMetrics({ redis: resources.redis(), namespaces: BROKER_NAMESPACES });
    },
  );
}
