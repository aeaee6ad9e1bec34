// The pipeline's overall state, as a pure function of what the monitor observed. States, from
// best to worst:
//
//   healthy   every stage is fed and keeping up.
//   warning   data flows, but something needs a look: a tick-fed stage's newest input is older
//             than MONITOR__STALE_WARNING_MS, a group is MONITOR__LAG_WARNING messages behind, or
//             messages were dead-lettered since the previous sample.
//   degraded  part of the pipeline has stopped while the rest runs: a consumer group has lag and
//             its committed offsets have not moved for MONITOR__STALL_MS (its stage is down or
//             stuck).
//   critical  the pipeline is not doing its job: a tick-fed stage has had no input for
//             MONITOR__STALE_CRITICAL_MS, a group is MONITOR__LAG_CRITICAL messages behind, or
//             the monitor cannot read the broker at all.
//   idle      healthy, with the NSE market closed and no ticks flowing: silence is expected, so
//             input age is not judged. When ticks flow anyway (the simulated feed runs at any
//             hour), the pipeline is judged as during market hours. Lag, stalls and dead letters
//             are judged at every hour: a backlog is a problem even at night.
//
// Only "steady" stages, those fed by ticks, have their input age judged: they see a stream all
// the time the market is open. A stage fed only by rare events (signals, fills) would be silent
// for good reasons; a backlog it does not work off still shows as lag and as a stall.

export const PIPELINE_STATES = ['idle', 'healthy', 'warning', 'degraded', 'critical'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];
export type StageStatus = Exclude<PipelineState, 'idle'>;

/** Higher is worse; idle ranks with healthy. */
export const SEVERITY: Readonly<Record<PipelineState, number>> = { idle: 0, healthy: 0, warning: 1, degraded: 2, critical: 3 };

export interface MonitorThresholds {
  staleWarningMs: number;
  staleCriticalMs: number;
  lagWarning: number;
  lagCritical: number;
  stallMs: number;
}

export interface StageObservation {
  stage: string;
  /** Fed by ticks, so expected to receive something all the time the market is open. */
  steady: boolean;
  /** Time since the newest message on the stage's inputs arrived (as far as the monitor saw). */
  inputAgeMs: number;
  /** Messages its consumer group is behind on its inputs; null for a stage without a group. */
  lag: number | null;
  /** How long the group has had lag while its committed offsets stayed put; 0 when moving. */
  stalledForMs: number;
}

export interface PipelineObservation {
  stages: readonly StageObservation[];
  /** Time since the ticks topic last received a message. */
  ticksAgeMs: number;
  marketOpen: boolean;
  /** Dead letters that arrived since the previous sample, per dead-letter topic. */
  newDeadLetters: Readonly<Record<string, number>>;
  /** Set when the broker could not be read; nothing else is known then. */
  probeError?: string;
}

export interface StageAssessment {
  stage: string;
  status: StageStatus;
  reasons: string[];
}

export interface PipelineAssessment {
  state: PipelineState;
  /** Every reason for a state worse than healthy, worst first. */
  reasons: string[];
  /** True when the market is closed and no ticks flow (input age is not judged). */
  quiet: boolean;
  stages: StageAssessment[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Finding {
  status: StageStatus;
  reason: string;
}

function stageFindings(stage: StageObservation, thresholds: MonitorThresholds, quiet: boolean): Finding[] {
  const findings: Finding[] = [];
  if (stage.steady && !quiet) {
    if (stage.inputAgeMs >= thresholds.staleCriticalMs) {
      findings.push({ status: 'critical', reason: `${stage.stage}: no input for ${seconds(stage.inputAgeMs)}` });
    } else if (stage.inputAgeMs >= thresholds.staleWarningMs) {
      findings.push({ status: 'warning', reason: `${stage.stage}: newest input is ${seconds(stage.inputAgeMs)} old` });
    }
  }
  if (stage.lag !== null) {
    if (stage.lag >= thresholds.lagCritical) {
      findings.push({ status: 'critical', reason: `${stage.stage}: ${stage.lag} messages behind` });
    } else if (stage.lag >= thresholds.lagWarning) {
      findings.push({ status: 'warning', reason: `${stage.stage}: ${stage.lag} messages behind` });
    }
    if (stage.lag > 0 && stage.stalledForMs >= thresholds.stallMs) {
      findings.push({
        status: 'degraded',
        reason: `${stage.stage}: not consuming (${stage.lag} messages behind, offsets unchanged for ${seconds(stage.stalledForMs)})`,
      });
    }
  }
  return findings;
}

const worstFirst = (findings: Finding[]) => [...findings].sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]);
const worstOf = (findings: readonly Finding[]) =>
  findings.reduce<StageStatus>((status, finding) => (SEVERITY[finding.status] > SEVERITY[status] ? finding.status : status), 'healthy');

/** The overall state and each stage's status. Pure: same observation, same answer. */
export function assessPipeline(observation: PipelineObservation, thresholds: MonitorThresholds): PipelineAssessment {
  const ticksFlowing = observation.ticksAgeMs < thresholds.staleWarningMs;
  const quiet = !observation.marketOpen && !ticksFlowing;
  if (observation.probeError !== undefined) {
    return {
      state: 'critical',
      reasons: [`cannot read the broker: ${observation.probeError}`],
      quiet,
      stages: observation.stages.map((stage) => ({ stage: stage.stage, status: 'critical', reasons: ['not observable'] })),
    };
  }

  const all: Finding[] = [];
  const stages = observation.stages.map((stage): StageAssessment => {
    const findings = worstFirst(stageFindings(stage, thresholds, quiet));
    all.push(...findings);
    return { stage: stage.stage, status: worstOf(findings), reasons: findings.map((finding) => finding.reason) };
  });
  for (const [topic, count] of Object.entries(observation.newDeadLetters)) {
    if (count > 0) all.push({ status: 'warning', reason: `${count} message(s) dead-lettered to ${topic}` });
  }
  const status = worstOf(all);
  return {
    state: status === 'healthy' && quiet ? 'idle' : status,
    reasons: worstFirst(all).map((finding) => finding.reason),
    quiet,
    stages,
  };
}
