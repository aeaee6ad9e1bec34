// Where each local component listens, read from the application's configuration so that no
// address is spelled twice: the app connects to exactly what `infra up` starts.
import type { Config } from '../../core/config/load';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface PostgresAddress extends HostPort {
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export const formatHostPort = ({ host, port }: HostPort) => `${host}:${port}`;

function splitHostPort(value: string, what: string): HostPort {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`${what}: expected host:port, got ${JSON.stringify(value)}`);
  return { host: match[1]!, port: Number(match[2]) };
}

function portOf(url: URL, fallback: number): number {
  return url.port === '' ? fallback : Number(url.port);
}

export function temporalAddress(config: Config): HostPort & { readonly uiPort: number } {
  return { ...splitHostPort(config.temporal.address, 'TEMPORAL__ADDRESS'), uiPort: config.temporal.uiPort };
}

/**
 * The broker listens on the first bootstrap server; its KRaft controller takes the next port,
 * which keeps the controller out of the way without another setting.
 */
export function kafkaAddress(config: Config): HostPort & { readonly controllerPort: number } {
  const first = config.redpanda.bootstrapServers[0];
  if (first === undefined) throw new Error('REDPANDA__BOOTSTRAP_SERVERS is empty');
  const broker = splitHostPort(first, 'REDPANDA__BOOTSTRAP_SERVERS');
  if (broker.port >= 65535) throw new Error('REDPANDA__BOOTSTRAP_SERVERS: the local broker needs port + 1 free for its controller');
  return { ...broker, controllerPort: broker.port + 1 };
}

export function postgresAddress(config: Config): PostgresAddress {
  const url = new URL(config.database.postgresUrl);
  return {
    host: url.hostname,
    port: portOf(url, 5432),
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
}

export function redisAddress(config: Config): HostPort {
  const url = new URL(config.redis.url);
  return { host: url.hostname, port: portOf(url, 6379) };
}
