// What the monitor watches in a namespace: each stage of the data flow (DESIGN: Data flow), the
// topics it consumes, and every topic and dead-letter topic of the namespace.
import { consumerGroup, type BrokerNamespace, type NamespaceService } from '../../core/domain/namespace';
import { dlqTopic, stageInputs, type NamespaceTopics } from '../../core/domain/topics';

export type MonitoredStage = 'market-feed' | Exclude<NamespaceService, 'pipeline-monitor'>;

export interface StageSpec {
  stage: MonitoredStage;
  /** Its consumer group; null for the feed, which only produces. */
  group: string | null;
  /** Topics whose lag is the group's; for the feed, the topic it publishes (its liveness). */
  inputs: string[];
  /** Receives ticks, so its inputs flow steadily while the market is open (input age is judged). */
  steady: boolean;
}

export interface PipelineLayout {
  stages: StageSpec[];
  /** Every event topic of the namespace, the shared ticks topic first. */
  topics: string[];
  deadLetterTopics: string[];
  ticksTopic: string;
}

export type GroupResolver = (service: Exclude<NamespaceService, 'pipeline-monitor'>) => string;

/**
 * The stages in data-flow order. `groupFor` names each stage's consumer group: production uses
 * `alpha-panda.{ns}.{service}`, tests and the benchmark their own.
 */
export function pipelineLayout(
  namespace: BrokerNamespace,
  topics: NamespaceTopics,
  ticksTopic: string,
  groupFor: GroupResolver = (service) => consumerGroup(namespace, service),
): PipelineLayout {
  const inputs = stageInputs(namespace, topics, ticksTopic);
  const consuming = (Object.keys(inputs) as (keyof typeof inputs)[]).map((stage): StageSpec => {
    const topicsIn = inputs[stage].map((input) => input.topic);
    // The risk manager's inputs come only when strategies signal: their age says nothing.
    return { stage, group: groupFor(stage), inputs: topicsIn, steady: topicsIn.includes(ticksTopic) };
  });
  const stages: StageSpec[] = [{ stage: 'market-feed', group: null, inputs: [ticksTopic], steady: true }, ...consuming];
  const eventTopics = [ticksTopic, ...Object.values(topics)];
  return { stages, topics: eventTopics, deadLetterTopics: eventTopics.map(dlqTopic), ticksTopic };
}
