// A Temporal codec server (the format `temporal --codec-endpoint` and the Web UI's codec setting
// speak): POST /api/v1/codec/decode and /encode take and answer `{ payloads: [{ metadata, data }] }`
// with base64 bytes, through the same payload encryption as every client and worker. It turns
// ciphertext back into the request_token and every other input, so it exists only while the
// bearer token guards the API (AUTH__ENABLE_USER_AUTH=true) and a key is set.
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PayloadDecryptError, payloadCodecs } from '../../core/temporal/codec';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { route } from '../route';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'expected base64' });
const payloadJson = z.object({ metadata: z.record(z.string(), base64).default({}), data: base64.default('') });
export const codecBody = z.object({ payloads: z.array(payloadJson).max(1_000) });
type PayloadJson = z.output<typeof payloadJson>;

const fromJson = ({ metadata, data }: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(data, 'base64'),
});
const toJson = (payload: Payload): PayloadJson => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

export function registerCodecRoutes(app: FastifyInstance, { config }: ApiContext): void {
  const codecs = payloadCodecs(config);
  if (codecs.length === 0 || !config.auth.enableUserAuth) return;
  const run = async (payloads: Payload[], step: (codec: PayloadCodec, batch: Payload[]) => Promise<Payload[]>, order: PayloadCodec[]) => {
    let batch = payloads;
    try {
      for (const codec of order) batch = await step(codec, batch);
    } catch (error) {
      if (error instanceof PayloadDecryptError) throw new ApiError('bad_request', error.message);
      throw error;
    }
    return batch;
  };

  for (const [name, summary] of [
    ['decode', 'Decrypt Temporal payloads (codec server for `temporal --codec-endpoint` and the Web UI)'],
    ['encode', 'Encrypt Temporal payloads as the workers expect them (codec server)'],
  ] as const) {
    route(
      app,
      {
        method: 'POST',
        url: `/api/v1/codec/${name}`,
        summary,
        tags: ['codec'],
        body: codecBody,
        response: { status: 200, schema: codecBody },
      },
      async ({ body }) => {
        const payloads = body.payloads.map(fromJson);
        const result =
          name === 'decode'
            ? await run(payloads, (codec, batch) => codec.decode(batch), [...codecs].reverse())
            : await run(payloads, (codec, batch) => codec.encode(batch), codecs);
        return { payloads: result.map(toJson) };
      },
    );
  }
}
