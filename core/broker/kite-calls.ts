// Counts of Kite Connect API calls by endpoint and outcome, kept where every process adds to
// them: the Redis hash `shared:metrics:kite-calls` (the account's calls, whichever namespace or
// process made them), field `<endpoint>|<outcome>`. The process that calls Kite adds one per
// call; the HTTP API reads the hash when /metrics is scraped. Counting never holds up or fails a
// call: a count Redis did not take is logged and lost.
import type { Redis } from 'ioredis';
import { getLogger } from '../logging';
import { namespacedKey } from '../redis/keys';
import type { KiteError } from './kite-error';

/** Kite's endpoints as its documentation names them: method and path template. */
export type KiteEndpoint =
  | 'POST /session/token'
  | 'DELETE /session/token'
  | 'GET /user/profile'
  | 'POST /orders/:variety'
  | 'PUT /orders/:variety/:order_id'
  | 'DELETE /orders/:variety/:order_id'
  | 'GET /orders'
  | 'GET /orders/:order_id'
  | 'GET /orders/:order_id/trades'
  | 'GET /trades'
  | 'GET /portfolio/positions'
  | 'GET /instruments';

/** `ok`, `429` (rate limited), Kite's error_type (TokenException, InputException...), else `network` or `other`. */
export function kiteCallOutcome(error: KiteError | undefined): string {
  if (!error) return 'ok';
  if (error.kind === 'rate-limited') return '429';
  return error.errorType ?? error.kind;
}

export interface KiteCallMeter {
  record(endpoint: KiteEndpoint, outcome: string): void;
}

export const kiteCallsKey = () => namespacedKey('shared', 'metrics', 'kite-calls');

const FIELD_SEPARATOR = '|';

/** A meter that adds each call to the shared Redis hash. */
export function redisKiteCallMeter(redis: Pick<Redis, 'hincrby'>): KiteCallMeter {
  return {
    record(endpoint, outcome) {
      redis.hincrby(kiteCallsKey(), `${endpoint}${FIELD_SEPARATOR}${outcome}`, 1).catch((error: unknown) => {
        getLogger('application').warn({ endpoint, outcome, err: error }, 'a Kite call was not counted');
      });
    },
  };
}

/** Runs a call to Kite and counts it with its outcome (the error as the caller converted it). */
export async function meteredCall<T>(
  meter: KiteCallMeter | undefined,
  endpoint: KiteEndpoint,
  call: () => Promise<T>,
  asKiteError: (error: unknown) => KiteError,
): Promise<T> {
  try {
    const result = await call();
    meter?.record(endpoint, 'ok');
    return result;
  } catch (error) {
    const kiteError = asKiteError(error);
    meter?.record(endpoint, kiteCallOutcome(kiteError));
    throw kiteError;
  }
}

export interface KiteCallCount {
  endpoint: string;
  outcome: string;
  calls: number;
}

/** Every count in the shared hash. */
export async function readKiteCalls(redis: Pick<Redis, 'hgetall'>): Promise<KiteCallCount[]> {
  const fields = await redis.hgetall(kiteCallsKey());
  return Object.entries(fields).map(([field, calls]) => {
    const at = field.lastIndexOf(FIELD_SEPARATOR);
    return { endpoint: field.slice(0, at), outcome: field.slice(at + 1), calls: Number(calls) };
  });
}
