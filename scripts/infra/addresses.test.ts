import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load';
import { kafkaAddress, postgresAddress, redisAddress, temporalAddress } from './addresses';
import { kafkaVersion, serverProperties } from './components/kafka';

describe('component addresses come from the configuration', () => {
  it('uses the defaults', () => {
    const config = parseConfig({});
    expect(temporalAddress(config)).toEqual({ host: '127.0.0.1', port: 7233, uiPort: 8233 });
    expect(kafkaAddress(config)).toEqual({ host: '127.0.0.1', port: 9092, controllerPort: 9093 });
    expect(postgresAddress(config)).toEqual({ host: '127.0.0.1', port: 5432, user: 'alpha_panda', password: 'alpha_panda', database: 'alpha_panda' });
    expect(redisAddress(config)).toEqual({ host: '127.0.0.1', port: 6379 });
  });

  it('follows overrides, decoding URL-escaped credentials and defaulting missing ports', () => {
    const config = parseConfig({
      TEMPORAL__ADDRESS: 'localhost:17233',
      TEMPORAL__UI_PORT: '18233',
      REDPANDA__BOOTSTRAP_SERVERS: '127.0.0.1:19092,127.0.0.1:29092',
      DATABASE__POSTGRES_URL: 'postgresql://trader:p%40ss%3Aword@db.local/trading',
      REDIS__URL: 'redis://cache.local/2',
    });
    expect(temporalAddress(config)).toEqual({ host: 'localhost', port: 17233, uiPort: 18233 });
    expect(kafkaAddress(config)).toEqual({ host: '127.0.0.1', port: 19092, controllerPort: 19093 });
    expect(postgresAddress(config)).toEqual({ host: 'db.local', port: 5432, user: 'trader', password: 'p@ss:word', database: 'trading' });
    expect(redisAddress(config)).toEqual({ host: 'cache.local', port: 6379 });
  });

  it('refuses a broker port that leaves no room for the controller', () => {
    expect(() => kafkaAddress(parseConfig({ REDPANDA__BOOTSTRAP_SERVERS: '127.0.0.1:65535' }))).toThrow(/port \+ 1/);
  });
});

describe('kafka broker settings', () => {
  const paths = { dataDir: '/srv/ap', cacheDir: '/cache', logDir: '/srv/ap/logs', runDir: '/srv/ap/run' };

  it('listens on the configured port with its controller on the next one, storing under the data directory', () => {
    const lines = serverProperties(parseConfig({ REDPANDA__BOOTSTRAP_SERVERS: '127.0.0.1:19092' }), paths).split('\n');
    expect(lines).toContain('listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(lines).toContain('advertised.listeners=PLAINTEXT://127.0.0.1:19092');
    expect(lines).toContain('controller.quorum.voters=1@127.0.0.1:19093');
    expect(lines).toContain('log.dirs=/srv/ap/kafka/data');
    expect(lines).toContain('offsets.topic.replication.factor=1');
  });

  it('reads the broker version from the pom', () => {
    expect(kafkaVersion()).toBe('4.1.1');
    expect(() => kafkaVersion('<project></project>')).toThrow(/kafka_2.13/);
  });
});
