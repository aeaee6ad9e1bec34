// The Kafka client (any Kafka-API broker: Redpanda, Apache Kafka). kafkajs logs through our pino
// application logger, warnings and errors only; what it retries on its own goes to the log files
// and not to the console.
import { Kafka, logLevel, type LogEntry, type logCreator, type RetryOptions } from 'kafkajs';
import type { Config } from '../config/load';
import { getFileLogger, getLogger } from '../logging';
import { kafkaSecurityOptions, type KafkaSettings } from './security';

/**
 * Whether kafkajs logged this before retrying it by itself. A broker's error response is logged
 * by the connection before the request is retried ("There is no leader for this topic-partition
 * as we are in the middle of a leadership election", "This server does not host this
 * topic-partition", "The coordinator is loading": dozens on a fresh broker while topics and the
 * offsets topic are created), and each attempt of its retrier carries retryCount. An operation
 * that finally fails is reported by its caller, and kafkajs giving up ("Crash: ...") carries no
 * retryCount, so both still reach the console. A consumer group's members re-joining while the
 * group forms or rebalances is routine as well.
 */
export function isRetried(namespace: string, message: string, details: Record<string, unknown>): boolean {
  if (namespace === 'Connection' && message.startsWith('Response ')) return true;
  return details.retryCount !== undefined || GROUP_RECOVERY.some((pattern) => pattern.test(message));
}

// kafkajs' consumer (consumer/runner.js, consumerGroup.js) logs these and recovers by itself;
// the producer's notice is taken care of.
const GROUP_RECOVERY = [
  /^The group is rebalancing, re-joining$/,
  /^The coordinator is not aware of this member, re-joining the group$/,
  /^Consumer is not aware of all assigned partitions, refreshing metadata$/,
  /, resync group$/,
  // Our retries are bounded (BROKER_RETRY); the event producer replaces a producer whose send
  // failed instead of sending on with its sequence numbers (see producer.ts).
  /^Limiting retries for the idempotent producer may invalidate EoS guarantees$/,
];

export const routeToPino: logCreator = () => {
  const logger = getLogger('application');
  const fileLogger = getFileLogger('application');
  return ({ namespace, level, log }: LogEntry) => {
    // kafkajs puts its own timestamp and logger name in the entry; pino adds its own.
    const { message, timestamp: _timestamp, logger: _name, ...details } = log as LogEntry['log'] & { logger?: string };
    const fields = { component: 'kafka', kafka: namespace, ...details };
    if (level === logLevel.ERROR || level === logLevel.WARN) {
      if (isRetried(namespace, message, details)) fileLogger.warn(fields, message);
      else if (level === logLevel.ERROR) logger.error(fields, message);
      else logger.warn(fields, message);
    } else {
      logger.debug(fields, message);
    }
  };
};

/**
 * How kafkajs retries a broker that does not answer (connect, metadata, coordinator, fetch,
 * produce). Attempts at most a second apart, so that a broker back from a restart is found within
 * about a second; and enough of them (about a minute of outage) that an operation outlasts a
 * broker restart instead of failing. A consumer that fails for good is restarted by kafkajs as a
 * new member of its group, and the group then waits for the old member's session to expire
 * before anyone consumes again: riding out the outage keeps the member, and nothing rebalances.
 * Nested retries (a consumer's fetch loop around a metadata refresh) only lengthen that minute.
 */
export const BROKER_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 1_000, retries: 60 };

export function createKafka(config: KafkaSettings & { redpanda: Pick<Config['redpanda'], 'clientId'> }, clientId?: string): Kafka {
  return new Kafka({
    clientId: clientId ?? config.redpanda.clientId,
    brokers: [...config.redpanda.bootstrapServers],
    logLevel: logLevel.WARN,
    logCreator: routeToPino,
    retry: BROKER_RETRY,
    ...kafkaSecurityOptions(config),
  });
}
