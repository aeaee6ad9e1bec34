// TLS and SASL towards the Kafka brokers (REDPANDA__TLS, REDPANDA__TLS_CA_PATH,
// REDPANDA__SASL_*), as kafkajs takes them.
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config } from '../config/load';

export interface KafkaSettings {
  redpanda: Pick<Config['redpanda'], 'bootstrapServers'> &
    Partial<Pick<Config['redpanda'], 'tls' | 'tlsCaPath' | 'saslMechanism' | 'saslUsername' | 'saslPassword'>>;
}

export function kafkaSecurityOptions(settings: KafkaSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { tls = false, tlsCaPath = '', saslMechanism = '', saslUsername = '', saslPassword = '' } = settings.redpanda;
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (tls || tlsCaPath !== '') options.ssl = tlsCaPath === '' ? true : { ca: [readFileSync(tlsCaPath, 'utf8')] };
  if (saslMechanism !== '') {
    options.sasl = { mechanism: saslMechanism, username: saslUsername, password: saslPassword } as SASLOptions;
  }
  return options;
}
