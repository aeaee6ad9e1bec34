// docker-compose.yml must publish each component where the configuration defaults point, so that
// the application runs unchanged against Docker or against `infra up`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../core/config/load';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { kafkaAddress, postgresAddress, redisAddress, temporalAddress } from './addresses';
import { REDIS_DURABILITY_ARGS } from './components/redis';
import { REPO_ROOT } from './paths';

interface ComposeService {
  image: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const defaults = parseConfig({});

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Published ports as host -> container, from "host:container" entries. */
function published(name: string): Map<number, number> {
  return new Map(
    (service(name).ports ?? []).map((entry) => {
      const [host, container] = entry.split(':').slice(-2).map(Number);
      return [host!, container!];
    }),
  );
}

/** Every value of `--flag=value` in the service's command. */
function flagValues(name: string, flag: string): string[] {
  return (service(name).command ?? []).filter((arg) => arg.startsWith(`--${flag}=`)).map((arg) => arg.slice(flag.length + 3));
}

describe('docker-compose.yml agrees with the configuration defaults', () => {
  it('runs exactly the four components', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'redis', 'redpanda', 'temporal']);
  });

  it('publishes the Kafka API on the default bootstrap server and advertises it', () => {
    const { host, port } = kafkaAddress(defaults);
    expect(published('redpanda').get(port)).toBe(port);
    expect(flagValues('redpanda', 'advertise-kafka-addr')).toEqual([`PLAINTEXT://${host}:${port}`]);
    expect(flagValues('redpanda', 'kafka-addr')).toEqual([`PLAINTEXT://0.0.0.0:${port}`]);
  });

  it('publishes Postgres on the default URL port with its role, password and database', () => {
    const { port, user, password, database } = postgresAddress(defaults);
    expect(published('postgres').get(port)).toBe(5432);
    expect(service('postgres').image).toMatch(/^postgres:15\b/);
    expect(service('postgres').environment).toMatchObject({ POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: database });
  });

  it('publishes Redis on the default URL port', () => {
    const { port } = redisAddress(defaults);
    expect(published('redis').get(port)).toBe(6379);
    expect(service('redis').image).toMatch(/^redis:7\b/);
  });

  it('runs Redis with the same persistence settings as infra up', () => {
    expect(service('redis').command).toEqual(['redis-server', ...REDIS_DURABILITY_ARGS]);
  });

  it('publishes Temporal and its Web UI on the default ports', () => {
    const { port, uiPort } = temporalAddress(defaults);
    expect(published('temporal').get(port)).toBe(port);
    expect(published('temporal').get(uiPort)).toBe(uiPort);
    expect(flagValues('temporal', 'port')).toEqual([String(port)]);
    expect(flagValues('temporal', 'ui-port')).toEqual([String(uiPort)]);
  });

  it('registers the search attributes the workflows set, as Keyword', () => {
    const expected = SEARCH_ATTRIBUTES.map((key) => {
      expect(key.type).toBe('KEYWORD');
      return `${key.name}=Keyword`;
    });
    expect(flagValues('temporal', 'search-attribute').sort()).toEqual(expected.sort());
  });
});
