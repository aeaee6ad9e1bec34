// Turns successive offset readings into figures: throughput per topic over the interval, when
// each topic last received something, each group's lag and how long it has been stuck, and the
// dead letters. Only end offsets are read, never messages, so a topic's "last event" is when the
// monitor saw its end offset move: exact to one sampling interval. Until a topic has moved since
// the monitor started, its age counts from the monitor's start.
import type { PipelineAssessment, PipelineObservation, PipelineState, StageObservation, StageStatus } from './assess';
import { endOffset, groupLag, retainedMessages, type OffsetsReading } from './probe';
import type { MonitoredStage, PipelineLayout } from './stages';

export interface TopicFigures {
  topic: string;
  /** Messages ever written (sum of the partitions' end offsets). */
  messages: number;
  /** Messages per second over the last interval (0 on the first sample). */
  perSecond: number;
  /** When the monitor saw the topic's end move; null when it has not since it started. */
  lastEventAt: string | null;
  ageMs: number;
}

export interface StageFigures {
  stage: MonitoredStage;
  group: string | null;
  status: StageStatus;
  reasons: string[];
  inputs: string[];
  inputAgeMs: number;
  /** Null for the feed, which has no group. */
  lag: number | null;
  lagByTopic: Record<string, number>;
  stalledForMs: number;
}

export interface DeadLetterFigures {
  topic: string;
  /** Dead letters still on the topic. */
  messages: number;
  /** Dead letters written since the previous sample. */
  newSincePrevious: number;
}

export interface PipelineReport {
  namespace: string;
  /** When the sample was taken (ISO 8601, UTC). */
  at: string;
  intervalMs: number;
  state: PipelineState;
  reasons: string[];
  market: { open: boolean; quiet: boolean };
  stages: StageFigures[];
  topics: TopicFigures[];
  deadLetters: DeadLetterFigures[];
  errors: {
    /** Dead letters on all of the namespace's dead-letter topics. */
    deadLetters: number;
    deadLettersSincePrevious: number;
    /** Samples in a row that could not read the broker. */
    probeFailures: number;
    lastProbeError: string | null;
  };
}

export interface Observed {
  observation: Omit<PipelineObservation, 'marketOpen'>;
  topics: TopicFigures[];
  deadLetters: DeadLetterFigures[];
  stages: (StageObservation & { stage: MonitoredStage; group: string | null; inputs: string[]; lagByTopic: Record<string, number> })[];
}

export class PipelineTracker {
  private previous: { at: number; ends: Map<string, number> } | undefined;
  private readonly lastAdvance = new Map<string, number>();
  private readonly progress = new Map<string, { position: string; since: number }>();

  constructor(
    private readonly layout: PipelineLayout,
    private readonly startedAt: Date,
  ) {}

  /** The groups and topics a reading must cover. */
  get groups(): { group: string; topics: string[] }[] {
    return this.layout.stages.flatMap((s) => (s.group === null ? [] : [{ group: s.group, topics: s.inputs }]));
  }

  get allTopics(): string[] {
    return [...this.layout.topics, ...this.layout.deadLetterTopics];
  }

  observe(reading: OffsetsReading, at: Date): Observed {
    const now = at.getTime();
    const previous = this.previous;
    const elapsedSeconds = previous ? Math.max(now - previous.at, 1) / 1000 : 0;
    const ends = new Map(this.allTopics.map((topic) => [topic, endOffset(reading, topic)]));
    const grown = (topic: string) => (previous ? Math.max(0, ends.get(topic)! - (previous.ends.get(topic) ?? 0)) : 0);
    for (const topic of this.allTopics) if (grown(topic) > 0) this.lastAdvance.set(topic, now);
    const ageOf = (topic: string) => now - (this.lastAdvance.get(topic) ?? this.startedAt.getTime());

    const topics = this.layout.topics.map((topic): TopicFigures => {
      const seen = this.lastAdvance.get(topic);
      return {
        topic,
        messages: ends.get(topic)!,
        perSecond: previous ? grown(topic) / elapsedSeconds : 0,
        lastEventAt: seen === undefined ? null : new Date(seen).toISOString(),
        ageMs: ageOf(topic),
      };
    });
    const deadLetters = this.layout.deadLetterTopics.map((topic) => ({
      topic,
      messages: retainedMessages(reading, topic),
      newSincePrevious: grown(topic),
    }));
    const stages = this.layout.stages.map((spec) => {
      const inputAgeMs = Math.min(...spec.inputs.map(ageOf));
      if (spec.group === null) {
        return { ...spec, inputAgeMs, lag: null, lagByTopic: {}, stalledForMs: 0 };
      }
      const lag = groupLag(reading, spec.group, spec.inputs);
      const last = this.progress.get(spec.group);
      const moved = last === undefined ? lag.total === 0 : last.position !== lag.position || lag.total === 0;
      const since = moved ? now : (last?.since ?? this.startedAt.getTime());
      this.progress.set(spec.group, { position: lag.position, since });
      return { ...spec, inputAgeMs, lag: lag.total, lagByTopic: lag.byTopic, stalledForMs: lag.total > 0 ? now - since : 0 };
    });

    this.previous = { at: now, ends };
    return {
      observation: {
        stages,
        ticksAgeMs: ageOf(this.layout.ticksTopic),
        newDeadLetters: Object.fromEntries(deadLetters.map((d) => [d.topic, d.newSincePrevious])),
      },
      topics,
      deadLetters,
      stages,
    };
  }
}

export function buildReport(
  base: { namespace: string; at: Date; intervalMs: number; marketOpen: boolean },
  observed: Observed,
  assessment: PipelineAssessment,
): PipelineReport {
  const statusOf = new Map(assessment.stages.map((stage) => [stage.stage, stage]));
  const deadLetters = observed.deadLetters.reduce((sum, d) => sum + d.messages, 0);
  return {
    namespace: base.namespace,
    at: base.at.toISOString(),
    intervalMs: base.intervalMs,
    state: assessment.state,
    reasons: assessment.reasons,
    market: { open: base.marketOpen, quiet: assessment.quiet },
    stages: observed.stages.map((stage) => ({
      stage: stage.stage,
      group: stage.group,
      status: statusOf.get(stage.stage)?.status ?? 'healthy',
      reasons: statusOf.get(stage.stage)?.reasons ?? [],
      inputs: stage.inputs,
      inputAgeMs: stage.inputAgeMs,
      lag: stage.lag,
      lagByTopic: stage.lagByTopic,
      stalledForMs: stage.stalledForMs,
    })),
    topics: observed.topics,
    deadLetters: observed.deadLetters,
    errors: {
      deadLetters,
      deadLettersSincePrevious: observed.deadLetters.reduce((sum, d) => sum + d.newSincePrevious, 0),
      probeFailures: 0,
      lastProbeError: null,
    },
  };
}

/** The report of a sample that could not read the broker: the last figures, marked critical. */
export function failedProbeReport(
  previous: PipelineReport | undefined,
  base: { namespace: string; at: Date; intervalMs: number; marketOpen: boolean },
  assessment: PipelineAssessment,
  failures: number,
  error: string,
): PipelineReport {
  return {
    namespace: base.namespace,
    at: base.at.toISOString(),
    intervalMs: base.intervalMs,
    state: assessment.state,
    reasons: assessment.reasons,
    market: { open: base.marketOpen, quiet: assessment.quiet },
    stages: (previous?.stages ?? []).map((stage) => ({ ...stage, status: 'critical', reasons: ['not observable'] })),
    topics: previous?.topics ?? [],
    deadLetters: previous?.deadLetters ?? [],
    errors: {
      deadLetters: previous?.errors.deadLetters ?? 0,
      deadLettersSincePrevious: 0,
      probeFailures: failures,
      lastProbeError: error,
    },
  };
}
