// The pipeline monitor of a namespace. Every MONITOR__INTERVAL_MS it reads, over one admin
// connection and without consuming any message:
//   - the end offsets of every topic of the namespace and of their dead-letter topics, giving
//     throughput (messages/s over the interval), when each topic last received something, and
//     the dead-letter counts;
//   - the committed offsets of each stage's consumer group on its input topics, giving lag
//     (core/kafka/lag.ts) and whether the group is moving;
// then judges the pipeline (assess.ts), leaves the report in Redis (store.ts) for the API and
// records it as Prometheus gauges (metrics.ts).
//
// Reading offsets rather than consuming every topic keeps the monitor's cost independent of the
// tick rate; the price is that "last event" times are exact to one interval (see tracker.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Config } from '../../core/config/load';
import { isMarketOpen } from '../../core/domain/market-hours';
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { NamespaceTopics } from '../../core/domain/topics';
import { getLogger } from '../../core/logging';
import { HealthTracker, type StreamingService } from '../../core/service';
import { assessPipeline } from './assess';
import { pipelineMetrics, type PipelineMetrics } from './metrics';
import { readOffsets } from './probe';
import { pipelineLayout, type GroupResolver } from './stages';
import { saveReport } from './store';
import { buildReport, failedProbeReport, PipelineTracker, type PipelineReport } from './tracker';

export const PIPELINE_MONITOR = 'pipeline-monitor';

export interface PipelineMonitorDeps {
  config: Pick<Config, 'monitor'>;
  namespace: BrokerNamespace;
  kafka: Kafka;
  redis: Redis;
  topics: NamespaceTopics;
  ticksTopic: string;
  /** Each stage's consumer group; default `alpha-panda.{ns}.{service}`. */
  groupFor?: GroupResolver;
  /** Where the gauges go; default this process's registry (metrics.ts). */
  metrics?: PipelineMetrics;
  now?: () => Date;
  /** Default: the NSE calendar (core/domain/market-hours.ts). */
  isMarketOpen?: (at: Date) => boolean;
  /** Called with every report, after it is stored. */
  onReport?: (report: PipelineReport) => void;
}

export function createPipelineMonitorService(deps: PipelineMonitorDeps): StreamingService {
  const { namespace, redis } = deps;
  const settings = deps.config.monitor;
  const now = deps.now ?? (() => new Date());
  const marketOpen = deps.isMarketOpen ?? isMarketOpen;
  const health = new HealthTracker();
  const log = getLogger('application').child({ service: PIPELINE_MONITOR, namespace });
  const layout = pipelineLayout(namespace, deps.topics, deps.ticksTopic, deps.groupFor);

  return {
    name: PIPELINE_MONITOR,
    health: () => health.snapshot(),
    async start(signal) {
      if (signal.aborted) return;
      const metrics = deps.metrics ?? pipelineMetrics();
      const tracker = new PipelineTracker(layout, now());
      let admin: Admin | undefined;
      let last: PipelineReport | undefined;
      let failures = 0;
      health.setState('running', `sampling every ${settings.intervalMs} ms`);

      const sample = async () => {
        const at = now();
        const base = { namespace, at, intervalMs: settings.intervalMs, marketOpen: marketOpen(at) };
        let report: PipelineReport;
        try {
          if (!admin) {
            admin = deps.kafka.admin();
            await admin.connect();
          }
          const reading = await readOffsets(admin, tracker.allTopics, tracker.groups);
          const observed = tracker.observe(reading, at);
          report = buildReport(base, observed, assessPipeline({ ...observed.observation, marketOpen: base.marketOpen }, settings));
          failures = 0;
        } catch (error) {
          failures += 1;
          const message = error instanceof Error ? error.message : String(error);
          log.warn({ err: error, failures }, 'pipeline monitor could not read the broker');
          // A fresh connection next time: the old one may be what failed.
          await admin?.disconnect().catch(() => undefined);
          admin = undefined;
          const assessment = assessPipeline(
            { stages: [], ticksAgeMs: Number.POSITIVE_INFINITY, newDeadLetters: {}, marketOpen: base.marketOpen, probeError: message },
            settings,
          );
          report = failedProbeReport(last, base, assessment, failures, message);
        }
        if (report.state !== last?.state) {
          log.info({ state: report.state, previous: last?.state ?? null, reasons: report.reasons }, 'pipeline state changed');
        }
        last = report;
        metrics.record(report);
        await saveReport(redis, namespace, report);
        health.recordProcessed(1);
        deps.onReport?.(report);
      };

      try {
        while (!signal.aborted) {
          // Alive even when a sample fails (an outage is not a stuck loop): see HealthTracker.
          health.recordBeat();
          try {
            await sample();
          } catch (error) {
            // Redis unreachable: the next sample tries again; the gauges already have the figures.
            log.warn({ err: error }, 'pipeline monitor could not store its report');
          }
          await sleep(settings.intervalMs, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        health.setState('stopping');
        await admin?.disconnect().catch(() => undefined);
        health.setState('stopped');
      }
    },
  };
}
