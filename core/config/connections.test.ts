// Each connection setting reaches the client options it is for (kafkajs, ioredis, pg, Temporal's
// Connection and NativeConnection), and combinations that would silently do nothing are refused
// naming the variable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSecurityOptions } from '../kafka/security';
import { postgresConnectionConfig, postgresSslOptions } from '../postgres/ssl';
import { redisTlsOptions } from '../redis/tls';
import { temporalConnectionOptions } from '../temporal/connection';
import { ConfigError, parseConfig } from './load';

const dir = mkdtempSync(join(tmpdir(), 'alpha-panda-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const CERT = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const KEY = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');

function problems(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('defaults', () => {
  it('connect without TLS, SASL or an API key, as the local stack expects', () => {
    const config = parseConfig({});
    expect(kafkaSecurityOptions(config)).toEqual({});
    expect(redisTlsOptions(config)).toEqual({});
    expect(postgresConnectionConfig(config)).toEqual({ connectionString: config.database.postgresUrl });
    expect(temporalConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233' });
  });
});

describe('Kafka', () => {
  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('passes SASL %s with its username and password', (mechanism) => {
    const config = parseConfig({ REDPANDA__SASL_MECHANISM: mechanism, REDPANDA__SASL_USERNAME: 'trader', REDPANDA__SASL_PASSWORD: 's3cret' });
    expect(kafkaSecurityOptions(config)).toEqual({ sasl: { mechanism, username: 'trader', password: 's3cret' } });
  });

  it('turns TLS on with REDPANDA__TLS, and with a CA file (whose contents it passes)', () => {
    expect(kafkaSecurityOptions(parseConfig({ REDPANDA__TLS: 'true' }))).toEqual({ ssl: true });
    expect(kafkaSecurityOptions(parseConfig({ REDPANDA__TLS_CA_PATH: CA }))).toEqual({ ssl: { ca: [expect.stringContaining('\nca\n')] } });
  });

  it('refuses a mechanism without credentials, credentials without a mechanism, and an unknown mechanism', () => {
    expect(problems({ REDPANDA__SASL_MECHANISM: 'plain' }).map((p) => p.variable)).toEqual(['REDPANDA__SASL_USERNAME', 'REDPANDA__SASL_PASSWORD']);
    expect(problems({ REDPANDA__SASL_USERNAME: 'trader', REDPANDA__SASL_PASSWORD: 's3cret' })).toEqual([
      { variable: 'REDPANDA__SASL_MECHANISM', message: expect.stringContaining('required when a SASL username or password is set') },
    ]);
    expect(problems({ REDPANDA__SASL_MECHANISM: 'gssapi' })).toEqual([
      { variable: 'REDPANDA__SASL_MECHANISM', message: expect.stringContaining('expected one of plain, scram-sha-256, scram-sha-512') },
    ]);
  });
});

describe('Redis', () => {
  it('uses TLS for rediss:// URLs, with the CA when given; the URL carries the ACL user and password', () => {
    const url = 'rediss://trader:s3cret@redis.internal:6380/0';
    expect(redisTlsOptions(parseConfig({ REDIS__URL: url }))).toEqual({ tls: {} });
    expect(redisTlsOptions(parseConfig({ REDIS__URL: url, REDIS__TLS_CA_PATH: CA }))).toEqual({ tls: { ca: expect.stringContaining('\nca\n') } });
  });

  it('refuses a CA for a plain redis:// URL', () => {
    expect(problems({ REDIS__TLS_CA_PATH: CA })).toEqual([{ variable: 'REDIS__TLS_CA_PATH', message: expect.stringContaining('rediss://') }]);
  });
});

describe('Postgres', () => {
  it.each([
    ['disable', false],
    ['require', { rejectUnauthorized: false }],
    ['verify-full', { rejectUnauthorized: true }],
  ] as const)('maps DATABASE__SSL_MODE=%s to pg ssl options', (mode, ssl) => {
    expect(postgresSslOptions(parseConfig({ DATABASE__SSL_MODE: mode }))).toEqual(ssl);
  });

  it('checks the chain but not the host name for verify-ca, and passes the CA file', () => {
    const ssl = postgresSslOptions(parseConfig({ DATABASE__SSL_MODE: 'verify-ca', DATABASE__SSL_CA_PATH: CA })) as pg.ClientConfig['ssl'] & object;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('\nca\n') });
    expect(typeof ssl.checkServerIdentity).toBe('function');
    expect(postgresSslOptions(parseConfig({ DATABASE__SSL_MODE: 'verify-full', DATABASE__SSL_CA_PATH: CA }))).toEqual({
      rejectUnauthorized: true,
      ca: expect.stringContaining('\nca\n'),
    });
  });

  it('keeps its ssl options in the settings pg actually uses (the URL would override them)', () => {
    const config = parseConfig({ DATABASE__SSL_MODE: 'require' });
    const client = new pg.Client(postgresConnectionConfig(config));
    expect((client as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl).toEqual({ rejectUnauthorized: false });
  });

  it("leaves TLS to the URL's sslmode when DATABASE__SSL_MODE is empty, and refuses both at once", () => {
    const url = 'postgres://a:b@db.internal:5432/alpha_panda?sslmode=verify-full';
    expect(postgresConnectionConfig(parseConfig({ DATABASE__POSTGRES_URL: url }))).toEqual({ connectionString: url });
    expect(problems({ DATABASE__POSTGRES_URL: url, DATABASE__SSL_MODE: 'require' })).toEqual([
      { variable: 'DATABASE__SSL_MODE', message: expect.stringContaining('conflicts with sslmode=verify-full') },
    ]);
  });

  it('refuses a CA without a verifying mode, and an unknown mode', () => {
    expect(problems({ DATABASE__SSL_CA_PATH: CA }).map((p) => p.variable)).toEqual(['DATABASE__SSL_CA_PATH']);
    expect(problems({ DATABASE__SSL_MODE: 'prefer' }).map((p) => p.variable)).toEqual(['DATABASE__SSL_MODE']);
  });
});

describe('Temporal', () => {
  it('passes the client certificate pair, the CA and the server name as TLS options', () => {
    const options = temporalConnectionOptions(
      parseConfig({
        TEMPORAL__ADDRESS: 'temporal.internal:7233',
        TEMPORAL__TLS_CERT_PATH: CERT,
        TEMPORAL__TLS_KEY_PATH: KEY,
        TEMPORAL__TLS_CA_PATH: CA,
        TEMPORAL__TLS_SERVER_NAME: 'frontend.temporal.internal',
      }),
    );
    expect(options.address).toBe('temporal.internal:7233');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toContain('\nclient\n');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toContain('\nkey\n');
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toContain('\nca\n');
    expect(options.tls!.serverNameOverride).toBe('frontend.temporal.internal');
    expect(options.apiKey).toBeUndefined();
  });

  it('sends an API key only over TLS (Temporal Cloud), and TEMPORAL__TLS alone gives plain TLS', () => {
    expect(temporalConnectionOptions(parseConfig({ TEMPORAL__API_KEY: 'cloud-key' }))).toEqual({
      address: '127.0.0.1:7233',
      tls: {},
      apiKey: 'cloud-key',
    });
    expect(temporalConnectionOptions(parseConfig({ TEMPORAL__TLS: 'true' }))).toEqual({ address: '127.0.0.1:7233', tls: {} });
  });

  it('refuses a certificate without its key (and the reverse), and a path that is not a readable file', () => {
    expect(problems({ TEMPORAL__TLS_CERT_PATH: CERT })).toEqual([{ variable: 'TEMPORAL__TLS_KEY_PATH', message: expect.stringContaining('set both or neither') }]);
    expect(problems({ TEMPORAL__TLS_KEY_PATH: KEY }).map((p) => p.variable)).toEqual(['TEMPORAL__TLS_CERT_PATH']);
    expect(problems({ TEMPORAL__TLS_CA_PATH: join(dir, 'missing.pem') })).toEqual([
      { variable: 'TEMPORAL__TLS_CA_PATH', message: expect.stringContaining('expected the path of a readable file') },
    ]);
    expect(problems({ TEMPORAL__TLS_CA_PATH: dir }).map((p) => p.variable)).toEqual(['TEMPORAL__TLS_CA_PATH']);
  });
});

describe('secrets in configuration errors', () => {
  it('never echoes a SASL password or an API key back', () => {
    const [problem] = problems({ REDPANDA__SASL_PASSWORD: 'hunter2-password' });
    expect(problem!.message).not.toContain('hunter2');
    const error = (() => {
      try {
        parseConfig({ TEMPORAL__API_KEY: 'cloud-key-123', TEMPORAL__TLS_CERT_PATH: CERT });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).not.toContain('cloud-key-123');
  });
});
