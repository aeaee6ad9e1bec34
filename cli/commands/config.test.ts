import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load';
import { connectionRows } from './config';

const dir = mkdtempSync(join(tmpdir(), 'alpha-panda-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pem = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, 'pem');
  return path;
};

describe('alpha-panda config', () => {
  it('says how each connection is secured without printing a password or a key', () => {
    const encryptionKey = randomBytes(32).toString('hex');
    const config = parseConfig({
      DATABASE__POSTGRES_URL: 'postgres://alpha_panda:PgPaSsWoRd@db.internal:5432/alpha_panda',
      DATABASE__SSL_MODE: 'verify-full',
      REDIS__URL: 'rediss://trader:ReDiSpAsS@redis.internal:6380/0',
      REDPANDA__BOOTSTRAP_SERVERS: 'kafka.internal:9093',
      REDPANDA__TLS: 'true',
      REDPANDA__SASL_MECHANISM: 'scram-sha-512',
      REDPANDA__SASL_USERNAME: 'trader',
      REDPANDA__SASL_PASSWORD: 'KaFkApAsS',
      TEMPORAL__ADDRESS: 'prod.a1b2c.tmprl.cloud:7233',
      TEMPORAL__NAMESPACE: 'prod.a1b2c',
      TEMPORAL__TLS_CERT_PATH: pem('client.pem'),
      TEMPORAL__TLS_KEY_PATH: pem('client.key'),
      TEMPORAL__API_KEY: 'TeMpOrAlKeY',
      SECURITY__ENCRYPTION_KEY: encryptionKey,
    });
    const rows = Object.fromEntries(connectionRows(config));
    const text = JSON.stringify(rows);
    for (const secret of ['PgPaSsWoRd', 'ReDiSpAsS', 'KaFkApAsS', 'TeMpOrAlKeY', encryptionKey]) expect(text).not.toContain(secret);
    expect(rows.postgres).toBe('postgres://alpha_panda:***@db.internal:5432/alpha_panda (sslmode verify-full)');
    expect(rows.redis).toBe('rediss://trader:***@redis.internal:6380/0');
    expect(rows.kafka).toBe('kafka.internal:9093 (TLS, SASL scram-sha-512 as trader)');
    expect(rows.temporal).toContain('TLS, client certificate');
    expect(rows.temporal).toContain('API key set');
    expect(rows.payloads).toContain('encrypted');
  });
});
