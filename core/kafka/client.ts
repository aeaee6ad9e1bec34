// The Kafka client (any Kafka-API broker: Redpanda, Apache Kafka). kafkajs logs through our pino
// application logger, warnings and errors only.
import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Config } from '../config/load';
import { getLogger } from '../logging';
import { kafkaSecurityOptions, type KafkaSettings } from './security';

const routeToPino: logCreator = () => {
  const logger = getLogger('application');
  return ({ namespace, level, log }: LogEntry) => {
    // kafkajs puts its own timestamp and logger name in the entry; pino adds its own.
    const { message, timestamp: _timestamp, logger: _name, ...details } = log as LogEntry['log'] & { logger?: string };
    const fields = { component: 'kafka', kafka: namespace, ...details };
    // A broker's error response ("the coordinator is loading", on a fresh broker) is logged by the
    // connection before kafkajs retries it; an operation that finally fails is reported by its caller.
    const retriedResponse = namespace === 'Connection' && message.startsWith('Response ');
    if (level === logLevel.ERROR && !retriedResponse) logger.error(fields, message);
    else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, message);
    else logger.debug(fields, message);
  };
};

export function createKafka(config: KafkaSettings & { redpanda: Pick<Config['redpanda'], 'clientId'> }, clientId?: string): Kafka {
  return new Kafka({
    clientId: clientId ?? config.redpanda.clientId,
    brokers: [...config.redpanda.bootstrapServers],
    logLevel: logLevel.WARN,
    logCreator: routeToPino,
    ...kafkaSecurityOptions(config),
  });
}
