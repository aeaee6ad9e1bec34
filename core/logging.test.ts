import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { configureLogging, getLogger, scrub } from './logging';

const SECRETS = {
  apiKey: 'kiteapikey123',
  accessToken: 'AcCeSsToKeN-9f8e7d6c5b4a',
  apiSecret: 'ApIsEcReT-0a1b2c3d4e5f',
  requestToken: 'ReQuEsTtOkEn-111222333',
  checksum: 'ChEcKsUm-deadbeefcafebabe',
};

/** An axios-like error of a failed Kite call, secrets at several depths and in several cases. */
function kiteError(): Error {
  return Object.assign(new Error('Request failed with status code 403'), {
    name: 'AxiosError',
    code: 'ERR_BAD_REQUEST',
    config: {
      method: 'post',
      url: 'https://api.kite.trade/session/token',
      headers: { Authorization: `token ${SECRETS.apiKey}:${SECRETS.accessToken}`, 'X-Kite-Version': '3' },
      data: { api_key: SECRETS.apiKey, request_token: SECRETS.requestToken, Checksum: SECRETS.checksum },
    },
    response: { status: 403, data: { status: 'error', error_type: 'TokenException', nested: { deeper: { API_SECRET: SECRETS.apiSecret } } } },
    cause: Object.assign(new Error('inner'), { Access_Token: SECRETS.accessToken }),
  });
}

let dir: string | undefined;
afterEach(() => {
  configureLogging({ level: 'silent', console: false });
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function logged(write: () => void): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'alpha-panda-logging-'));
  configureLogging({ level: 'info', dir, console: false });
  write();
  getLogger('application').flush();
  getLogger('error').flush();
  await sleep(200); // file destinations are asynchronous
  return ['application', 'error'].map((name) => readFileSync(join(dir!, `${name}.log`), 'utf8')).join('');
}

describe('log redaction', () => {
  it('keeps Kite secrets out of the files at any depth and in any case', async () => {
    const text = await logged(() => {
      getLogger('application').error({ err: kiteError(), session: { Authorization: 'Bearer x', REQUEST_TOKEN: SECRETS.requestToken } }, 'login failed');
      getLogger('error').error(kiteError(), 'login failed');
    });
    for (const [name, secret] of Object.entries(SECRETS).filter(([name]) => name !== 'apiKey')) expect(text, name).not.toContain(secret);
    expect(text).not.toContain(`token ${SECRETS.apiKey}:`);
    // Still useful: what failed, and where.
    const line = JSON.parse(text.split('\n')[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'AxiosError', message: 'Request failed with status code 403', code: 'ERR_BAD_REQUEST' });
    expect(line.err.stack).toMatch(/kiteError/);
    expect(line.err).toMatchObject({ config: { headers: { Authorization: '[redacted]', 'X-Kite-Version': '3' }, url: 'https://api.kite.trade/session/token' } });
  });

  it('writes a client an error carries as its class name, not its fields', async () => {
    const client = new pg.Client({ connectionString: 'postgres://u:hunter2@127.0.0.1:1/db' });
    Object.assign(client, { processID: 4242, secretKey: 987654321 }); // what a connected client holds
    const error = Object.assign(new Error('Connection terminated unexpectedly'), { client });
    const text = await logged(() => getLogger('error').warn({ err: error }, 'idle Postgres connection failed'));
    expect(text).not.toContain('987654321');
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text.split('\n')[0]!).err).toMatchObject({ message: 'Connection terminated unexpectedly', client: '[Client]' });
  });

  it('keeps connection secrets out: the SASL password, the Temporal API key, passwords at any depth', () => {
    const settings = {
      redpanda: { saslUsername: 'trader', saslPassword: 'KaFkA-pw-1' },
      temporal: { address: 'ns.tmprl.cloud:7233', apiKey: 'TeMpOrAl-key-2' },
      kafkajs: { sasl: { mechanism: 'scram-sha-512', username: 'trader', password: 'KaFkA-pw-1' } },
      headers: { 'X-Api-Key': 'TeMpOrAl-key-2' },
    };
    const text = JSON.stringify(scrub(settings));
    expect(text).not.toContain('KaFkA-pw-1');
    expect(text).not.toContain('TeMpOrAl-key-2');
    expect(scrub(settings)).toMatchObject({ redpanda: { saslUsername: 'trader' }, temporal: { address: 'ns.tmprl.cloud:7233' } });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(scrub({ a })).toEqual({ a: { name: 'a', self: '[circular]' } });
  });
});
