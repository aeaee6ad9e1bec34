// The codec server over fastify's inject: what the workers encrypt it decrypts for a caller with
// the API token, and nobody else; it answers the UI's CORS preflight for a configured origin; and
// it does not exist without a key or with the token switched off.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../core/config/load';
import { Resources } from '../../core/resources';
import { EncryptionCodec } from '../../core/temporal/codec';
import { buildApi } from '../server';

const TOKEN = randomBytes(32).toString('base64url');
const KEY = randomBytes(32).toString('hex');
const UI = 'http://127.0.0.1:8233';
const REQUEST_TOKEN = 'Xq7Lm2Pz9Kd4Rt6Vb1Nc8Ws3Hy5Jf0Ga';

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const fromJson = ({ metadata, data }: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(data, 'base64'),
});

let open: { api: FastifyInstance; resources: Resources; client: Client }[] = [];
afterEach(async () => {
  for (const { api, resources, client } of open) {
    await api.close();
    await resources.close();
    await client.connection.close().catch(() => undefined);
  }
  open = [];
});

async function serve(env: Record<string, string>): Promise<{ api: FastifyInstance; config: Config }> {
  const config = parseConfig({ API__TOKEN: TOKEN, API__CORS_ORIGINS: UI, ...env });
  // No route here talks to Temporal: a client whose server is not there is enough.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }), namespace: 'default' });
  const resources = new Resources(config);
  const api = await buildApi({ config, client, resources });
  open.push({ api, resources, client });
  return { api, config };
}

const post = (api: FastifyInstance, config: Config, path: string, body: unknown, headers: Record<string, string> = {}) =>
  api.inject({
    method: 'POST',
    url: `/api/v1/codec/${path}`,
    headers: { host: `127.0.0.1:${config.api.port}`, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });

describe('codec server', () => {
  it('decodes what a worker encrypted, for a caller with the API token', async () => {
    const { api, config } = await serve({ SECURITY__ENCRYPTION_KEY: KEY });
    const [sealed] = await new EncryptionCodec(KEY).encode([defaultPayloadConverter.toPayload(REQUEST_TOKEN)]);
    const response = await post(api, config, 'decode', { payloads: [toJson(sealed!)] }, { authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' });
    expect(response.statusCode).toBe(200);
    const [decoded] = (response.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(defaultPayloadConverter.fromPayload(fromJson(decoded!))).toBe(REQUEST_TOKEN);
  });

  it('encodes payloads that the workers decrypt (what `temporal workflow signal --codec-endpoint` sends)', async () => {
    const { api, config } = await serve({ SECURITY__ENCRYPTION_KEY: KEY });
    const response = await post(api, config, 'encode', { payloads: [toJson(defaultPayloadConverter.toPayload(REQUEST_TOKEN))] }, { authorization: `Bearer ${TOKEN}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(Buffer.from(JSON.stringify(REQUEST_TOKEN)).toString('base64'));
    const [encoded] = (response.json() as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    const [decoded] = await new EncryptionCodec(KEY).decode([fromJson(encoded!)]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toBe(REQUEST_TOKEN);
  });

  it('refuses a caller without the token or with a wrong one, and a payload sealed with another key', async () => {
    const { api, config } = await serve({ SECURITY__ENCRYPTION_KEY: KEY });
    const [sealed] = await new EncryptionCodec(KEY).encode([defaultPayloadConverter.toPayload(REQUEST_TOKEN)]);
    const body = { payloads: [toJson(sealed!)] };
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token-wrong-token' }] as Record<string, string>[]) {
      const response = await post(api, config, 'decode', body, headers);
      expect(response.statusCode).toBe(401);
      expect(response.body).not.toContain(Buffer.from(REQUEST_TOKEN).toString('base64'));
    }
    const [foreign] = await new EncryptionCodec(randomBytes(32).toString('hex')).encode([defaultPayloadConverter.toPayload(REQUEST_TOKEN)]);
    const refused = await post(api, config, 'decode', { payloads: [toJson(foreign!)] }, { authorization: `Bearer ${TOKEN}` });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('not with this SECURITY__ENCRYPTION_KEY') } });
  });

  it("answers the Web UI's preflight for a configured origin (with X-Namespace), and no other origin", async () => {
    const { api, config } = await serve({ SECURITY__ENCRYPTION_KEY: KEY });
    const preflight = (origin: string) =>
      api.inject({
        method: 'OPTIONS',
        url: '/api/v1/codec/decode',
        headers: {
          host: `127.0.0.1:${config.api.port}`,
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const allowed = await preflight(UI);
    expect(allowed.headers['access-control-allow-origin']).toBe(UI);
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('x-namespace');
    expect((await preflight('http://evil.example')).statusCode).toBe(403);
  });

  it('does not exist without a key, nor while the API token is switched off', async () => {
    for (const env of [{}, { SECURITY__ENCRYPTION_KEY: KEY, AUTH__ENABLE_USER_AUTH: 'false' }] as Record<string, string>[]) {
      const { api, config } = await serve(env);
      const response = await post(api, config, 'decode', { payloads: [] }, { authorization: `Bearer ${TOKEN}` });
      expect(response.statusCode).toBe(404);
    }
  });
});
