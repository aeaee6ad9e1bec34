// The pipeline monitor against the real broker and Redis: scripted traffic on prefixed topics,
// a consumer group committed behind on purpose, dead letters, and ticks that stop.
import { randomUUID } from 'node:crypto';
import { Partitioners, type Admin, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import type { LevelWithSilent } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../core/domain/events';
import { dlqTopic, marketTicksTopic, namespaceTopics, topicSpecs } from '../core/domain/topics';
import { makeSignal, makeTick } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { toMessage } from '../core/kafka/producer';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { PipelineMetrics, renderMetrics } from '../services/pipeline-monitor/metrics';
import { createPipelineMonitorService } from '../services/pipeline-monitor/service';
import { monitorReportKey, readReport } from '../services/pipeline-monitor/store';
import type { PipelineReport } from '../services/pipeline-monitor/tracker';
import { claimRedisDatabase, testConfig } from './support/stack';

configureLogging({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'silent' });

const run = `test-${randomUUID().slice(0, 8)}`;
const prefix = `${run}.`;
const topics = namespaceTopics('paper', prefix);
const ticksTopic = marketTicksTopic(prefix);
const groupFor = (service: string) => `${run}.paper.${service}`;
const riskGroup = groupFor('risk-manager');
const kafka = createKafka(testConfig(), run);

const SIGNALS = 50;
const BEHIND = 7;
const DEAD_LETTERS = 3;

let admin: Admin;
let producer: Producer;
let redis: Redis;
let releaseRedis: () => Promise<void>;
let redisUrl: string;

/** Ticks at a steady trickle until stopped, so the ticks topic keeps moving. */
function startTickPump() {
  let price = 250_000;
  const timer = setInterval(() => {
    price += 5;
    const envelope = createEvent({ type: 'tick_received', source: 'market-feed', namespace: 'shared', data: makeTick(price) });
    producer.send({ topic: ticksTopic, messages: [toMessage(ticksTopic, '738561', envelope)] }).catch(() => undefined);
  }, 100);
  return { stop: () => clearInterval(timer) };
}

function startMonitor(overrides: Record<string, string>, metrics: PipelineMetrics) {
  const config = testConfig({ REDIS__URL: redisUrl, MONITOR__INTERVAL_MS: '250', MONITOR__LAG_WARNING: '1000000', MONITOR__LAG_CRITICAL: '2000000', ...overrides });
  const controller = new AbortController();
  const service = createPipelineMonitorService({
    config,
    namespace: 'paper',
    kafka,
    redis,
    topics,
    ticksTopic,
    groupFor,
    metrics,
    // Judged as during market hours whatever the clock says, so silence is a failure.
    isMarketOpen: () => true,
  });
  const done = service.start(controller.signal);
  return {
    service,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

async function waitForReport(accept: (report: PipelineReport) => boolean, what: string, timeoutMs = 60_000): Promise<PipelineReport> {
  const deadline = Date.now() + timeoutMs;
  let last: PipelineReport | null = null;
  for (;;) {
    last = await readReport(redis, 'paper');
    if (last && accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last report: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const stage = (report: PipelineReport, name: string) => report.stages.find((s) => s.stage === name)!;
const topic = (report: PipelineReport, name: string) => report.topics.find((t) => t.topic === name)!;

beforeAll(async () => {
  const claimed = await claimRedisDatabase();
  redisUrl = claimed.url;
  releaseRedis = claimed.release;
  redis = new Redis(redisUrl);
  await bootstrapTopics(kafka, topicSpecs(['paper'], prefix));
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  // The risk manager's input: SIGNALS signals on partition 0, its group committed BEHIND short.
  const signals = Array.from({ length: SIGNALS }, () =>
    toMessage(topics.signalsRaw, 'momentum-1:738561', createEvent({ type: 'signal_generated', source: 'strategy-runner', namespace: 'paper', data: makeSignal() })),
  );
  await producer.send({ topic: topics.signalsRaw, messages: signals.map((message) => ({ ...message, partition: 0 })) });
  await admin.setOffsets({ groupId: riskGroup, topic: topics.signalsRaw, partitions: [{ partition: 0, offset: String(SIGNALS - BEHIND) }] });

  await producer.send({
    topic: dlqTopic(topics.ordersFilled),
    messages: Array.from({ length: DEAD_LETTERS }, (_, i) => ({ key: 'k', value: `not an event ${i}` })),
  });
});

afterAll(async () => {
  await producer?.disconnect();
  if (admin) {
    const ours = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    const services = ['strategy-runner', 'risk-manager', 'trading-engine', 'portfolio-manager'];
    await admin.deleteGroups(services.map(groupFor)).catch(() => undefined);
    await admin.disconnect();
  }
  redis?.disconnect();
  await releaseRedis?.();
});

describe('pipeline monitor', () => {
  it('reports throughput, the lag of a group that is behind, dead letters, and Prometheus gauges', async () => {
    const pump = startTickPump();
    const metrics = new PipelineMetrics(new Registry());
    const monitor = startMonitor({ MONITOR__STALL_MS: '600000' }, metrics);
    try {
      const report = await waitForReport((r) => topic(r, ticksTopic).perSecond > 0, 'ticks throughput');

      expect(Number.isNaN(Date.parse(report.at))).toBe(false);
      expect(report.at).toMatch(/Z$/);
      expect(report.state).toBe('healthy');
      expect(topic(report, topics.signalsRaw)).toMatchObject({ messages: SIGNALS, perSecond: 0 });
      const ticks = topic(report, ticksTopic).messages;
      expect(ticks).toBeGreaterThan(0);
      // Committed BEHIND short on its signals (it does not consume the ticks).
      expect(stage(report, 'risk-manager')).toMatchObject({
        group: riskGroup,
        lag: BEHIND,
        lagByTopic: { [topics.signalsRaw]: BEHIND, [topics.ordersFilled]: 0, [topics.pnlSnapshots]: 0 },
      });
      // Never committed on the ticks, so behind by all of them.
      expect(stage(report, 'strategy-runner').lag).toBe(ticks);
      expect(report.deadLetters.find((d) => d.topic === dlqTopic(topics.ordersFilled))?.messages).toBe(DEAD_LETTERS);
      expect(report.errors.deadLetters).toBe(DEAD_LETTERS);
      expect(monitor.service.health().processed).toBeGreaterThan(1);

      const text = await metrics.registry.metrics();
      expect(text).toContain(
        `alpha_panda_consumer_lag_messages{namespace="paper",stage="risk-manager",group="${riskGroup}",topic="${topics.signalsRaw}"} ${BEHIND}`,
      );
      expect(text).toContain(`alpha_panda_dlq_messages{namespace="paper",topic="${dlqTopic(topics.ordersFilled)}"} ${DEAD_LETTERS}`);
      expect(text).toMatch(/alpha_panda_pipeline_state\{namespace="paper",state="(healthy|warning|degraded|critical|idle)"\} 1/);
      const throughput = text.match(new RegExp(`alpha_panda_topic_messages_per_second\\{namespace="paper",topic="${ticksTopic.replaceAll('.', '\\.')}"\\} (\\S+)`));
      expect(throughput).not.toBeNull();
    } finally {
      await monitor.stop();
      pump.stop();
    }

    // A process without a monitor (the API) renders the same figures from the report in Redis.
    const served = await renderMetrics({ redis, namespaces: ['paper'] });
    expect(served).toContain(
      `alpha_panda_consumer_lag_messages{namespace="paper",stage="risk-manager",group="${riskGroup}",topic="${topics.signalsRaw}"} ${BEHIND}`,
    );
    expect(await redis.exists(monitorReportKey('paper'))).toBe(1);
  });

  it('turns degraded when a group with lag stops consuming, and critical when the ticks stop', async () => {
    const pump = startTickPump();
    const monitor = startMonitor(
      { MONITOR__STALL_MS: '1000', MONITOR__STALE_WARNING_MS: '1500', MONITOR__STALE_CRITICAL_MS: '3000' },
      new PipelineMetrics(new Registry()),
    );
    try {
      const degraded = await waitForReport((r) => stage(r, 'risk-manager').status === 'degraded', 'the risk manager to be degraded');
      expect(degraded.state).toBe('degraded');
      expect(stage(degraded, 'risk-manager').reasons.join()).toMatch(/risk-manager: not consuming \(\d+ messages behind, offsets unchanged/);
      // The ticks still flow: the feed is healthy.
      expect(stage(degraded, 'market-feed').status).toBe('healthy');

      pump.stop();
      const critical = await waitForReport((r) => r.state === 'critical', 'the state to turn critical');
      expect(stage(critical, 'market-feed').status).toBe('critical');
      expect(stage(critical, 'market-feed').reasons.join()).toMatch(/no input for/);
      expect(critical.reasons[0]).toMatch(/no input for/);
    } finally {
      pump.stop();
      await monitor.stop();
    }
  });
});
