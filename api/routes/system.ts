// Liveness, readiness of each component, and the Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { BROKER_NAMESPACES } from '../../core/domain/namespace';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../../services/pipeline-monitor/metrics';
import type { ApiContext } from '../context';
import { route } from '../route';
import { healthSchema, readySchema } from '../schemas';

const READY_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function probe(what: string, work: () => Promise<string>): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await withTimeout(work(), what) };
  } catch (error) {
    // A driver's message may name the address, never a password: URLs are not echoed here.
    return { ok: false, detail: (error as Error).message || `${what} failed` };
  }
}

export function registerSystemRoutes(app: FastifyInstance, { client, resources }: ApiContext): void {
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
    { method: 'GET', url: '/metrics', summary: 'Prometheus metrics of the pipelines', tags: ['system'], response: { status: 200, contentType: METRICS_CONTENT_TYPE } },
    async ({ reply }) => {
      reply.type(METRICS_CONTENT_TYPE);
      return renderMetrics({ redis: resources.redis(), namespaces: BROKER_NAMESPACES });
    },
  );
}
