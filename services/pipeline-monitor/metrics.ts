// The monitor's figures as Prometheus gauges (prom-client), in the process's registry. A monitor
// records each report as it takes it; a process that does not run the monitor (the HTTP API)
// records the latest reports from Redis when it is scraped, so /metrics shows the same figures
// wherever it is served. Series of a namespace that vanish from its next report are removed.
import type { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { processRegistry, ReplacedGauge } from '../../core/metrics/series';
import { PIPELINE_STATES, SEVERITY } from './assess';
import { readReport } from './store';
import type { PipelineReport } from './tracker';

export class PipelineMetrics {
  private readonly state: ReplacedGauge;
  private readonly severity: ReplacedGauge;
  private readonly reportTime: ReplacedGauge;
  private readonly stageStatus: ReplacedGauge;
  private readonly stageInputAge: ReplacedGauge;
  private readonly lag: ReplacedGauge;
  private readonly stalled: ReplacedGauge;
  private readonly throughput: ReplacedGauge;
  private readonly messages: ReplacedGauge;
  private readonly topicAge: ReplacedGauge;
  private readonly deadLetters: ReplacedGauge;
  private readonly probeFailures: ReplacedGauge;

  constructor(readonly registry: Registry) {
    const gauge = (name: string, help: string, labelNames: string[] = []) => new ReplacedGauge(registry, { name, help, labelNames });
    this.state = gauge('alpha_panda_pipeline_state', 'Pipeline state: 1 for the current state, 0 for the others', ['state']);
    this.severity = gauge('alpha_panda_pipeline_severity', 'Pipeline state severity: 0 idle/healthy, 1 warning, 2 degraded, 3 critical');
    this.reportTime = gauge('alpha_panda_pipeline_report_timestamp_seconds', 'When the monitor took the sample these figures come from');
    this.stageStatus = gauge('alpha_panda_stage_status', 'Stage status severity: 0 healthy, 1 warning, 2 degraded, 3 critical', ['stage']);
    this.stageInputAge = gauge('alpha_panda_stage_input_age_seconds', 'Time since the newest message on a stage input', ['stage']);
    this.lag = gauge('alpha_panda_consumer_lag_messages', 'Messages a stage consumer group is behind, per input topic', ['stage', 'group', 'topic']);
    this.stalled = gauge('alpha_panda_consumer_stalled_seconds', 'How long a group with lag has not moved its offsets', ['stage', 'group']);
    this.throughput = gauge('alpha_panda_topic_messages_per_second', 'Messages written per second over the last interval', ['topic']);
    this.messages = gauge('alpha_panda_topic_messages', 'Messages ever written to a topic (sum of end offsets)', ['topic']);
    this.topicAge = gauge('alpha_panda_topic_last_event_age_seconds', 'Time since a topic last received a message', ['topic']);
    this.deadLetters = gauge('alpha_panda_dlq_messages', 'Dead letters on a dead-letter topic', ['topic']);
    this.probeFailures = gauge('alpha_panda_monitor_probe_failures', 'Samples in a row that could not read the broker');
  }

  record(report: PipelineReport): void {
    const ns = report.namespace;
    this.state.replace(ns, PIPELINE_STATES.map((state) => ({ labels: { state }, value: state === report.state ? 1 : 0 })));
    this.severity.replace(ns, [{ labels: {}, value: SEVERITY[report.state] }]);
    this.reportTime.replace(ns, [{ labels: {}, value: Date.parse(report.at) / 1000 }]);
    this.stageStatus.replace(ns, report.stages.map((s) => ({ labels: { stage: s.stage }, value: SEVERITY[s.status] })));
    this.stageInputAge.replace(ns, report.stages.map((s) => ({ labels: { stage: s.stage }, value: s.inputAgeMs / 1000 })));
    this.lag.replace(
      ns,
      report.stages.flatMap((s) =>
        s.group === null ? [] : Object.entries(s.lagByTopic).map(([topic, lag]) => ({ labels: { stage: s.stage, group: s.group!, topic }, value: lag })),
      ),
    );
    this.stalled.replace(
      ns,
      report.stages.flatMap((s) => (s.group === null ? [] : [{ labels: { stage: s.stage, group: s.group }, value: s.stalledForMs / 1000 }])),
    );
    this.throughput.replace(ns, report.topics.map((t) => ({ labels: { topic: t.topic }, value: t.perSecond })));
    this.messages.replace(ns, report.topics.map((t) => ({ labels: { topic: t.topic }, value: t.messages })));
    this.topicAge.replace(ns, report.topics.map((t) => ({ labels: { topic: t.topic }, value: t.ageMs / 1000 })));
    this.deadLetters.replace(ns, report.deadLetters.map((d) => ({ labels: { topic: d.topic }, value: d.messages })));
    this.probeFailures.replace(ns, [{ labels: {}, value: report.errors.probeFailures }]);
  }
}

let processMetrics: PipelineMetrics | undefined;

/** The pipeline gauges in this process's registry (core/metrics/series.ts). */
export function pipelineMetrics(): PipelineMetrics {
  processMetrics ??= new PipelineMetrics(processRegistry());
  return processMetrics;
}

export interface RenderMetricsOptions {
  /** Read the latest reports of these namespaces from Redis first (for a process without a monitor). */
  redis?: Pick<Redis, 'get'>;
  namespaces?: readonly BrokerNamespace[];
}

/**
 * Records the latest reports from Redis (for a process without a monitor), then answers the
 * Prometheus text exposition of this process's registry (serve with METRICS_CONTENT_TYPE).
 */
export async function renderMetrics(options: RenderMetricsOptions = {}): Promise<string> {
  const metrics = pipelineMetrics();
  if (options.redis) {
    for (const namespace of options.namespaces ?? []) {
      const report = await readReport(options.redis, namespace);
      if (report) metrics.record(report);
    }
  }
  return metrics.registry.metrics();
}
