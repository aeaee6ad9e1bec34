// A batch's write-ahead record (process-once.ts), written in the round trip that reads what the
// batch needs, instead of in one of its own between computing the batch and producing its outputs.
//
// The record holds the last offset of each partition the delivery brought, and the raw values of
// the reads the batch's context is made of (the kill switch, last prices). One script reads those
// values, returns the records already in flight, and, when there are none, writes the new batch's
// record with the values it just read: the record then exists before anything is computed, let
// alone produced, and holds exactly what the batch will be computed from. When records are
// already in flight (a batch a crash interrupted, another instance's), nothing is written: the
// step replays those first or writes its record ahead the old way (writeRecordAhead).
//
// A record is removed by the commit of its batch. One written for a batch that then produced
// nothing costs nothing if it survives a crash: its replay is just a batch with given bounds.
import type { Redis } from 'ioredis';
import { namespacedKey, type KeyNamespace } from '../redis/keys';

/** A hash: batch id -> InFlightRecord, for the batches written ahead but not committed yet. */
export const inFlightKey = (namespace: KeyNamespace, stage: string) => namespacedKey(namespace, 'in-flight', stage);

/** One Redis read of a batch's context. */
export type ContextRead = { get: string } | { hmget: string; fields: readonly string[] };

/** What each read returned: GET's value, or HMGET's field -> value; null where nothing is stored. */
export type ContextValue = string | null | Record<string, string | null>;

/** A context a stage computes its batch from besides its state: read from Redis, and recorded. */
export interface BatchContext<C> {
  reads: readonly ContextRead[];
  /** Pure: a replay parses the values its batch was first computed with. */
  parse: (values: readonly ContextValue[]) => C;
}

/** What is written ahead per batch, as JSON. */
export interface InFlightRecord {
  /** `<topic>:<partition>` -> the last offset of that partition in the batch. */
  members: Record<string, string>;
  /** The context reads' values, in the order of the reads. */
  reads: ContextValue[];
}

export interface Claim {
  /** The in-flight records found before this batch's own was written: batch id -> JSON. */
  pending: Record<string, string>;
  values: ContextValue[];
  /** Whether this batch's record was written (there was nothing pending). */
  claimed: boolean;
}

// KEYS[1] the in-flight hash, KEYS[2..] one key per context read.
// ARGV[1] the batch id, ARGV[2] the members JSON, then per read: 'get', or 'hmget', n, n fields.
const CLAIM = `local values = {}
local at = 3
for i = 2, #KEYS do
  local kind = ARGV[at]
  at = at + 1
  if kind == 'get' then
    values[i - 1] = redis.call('get', KEYS[i])
  else
    local fields = {}
    for f = 1, tonumber(ARGV[at]) do fields[f] = ARGV[at + f] end
    at = at + 1 + #fields
    local byField = {}
    if #fields > 0 then
      local got = redis.call('hmget', KEYS[i], unpack(fields))
      for f = 1, #fields do byField[fields[f]] = got[f] end
    end
    values[i - 1] = byField
  end
end
local pending = redis.call('hgetall', KEYS[1])
local encoded = cjson.encode(values)
local claimed = 0
if #pending == 0 then
  redis.call('hset', KEYS[1], ARGV[1], '{"members":' .. ARGV[2] .. ',"reads":' .. encoded .. '}')
  claimed = 1
end
return {pending, encoded, claimed}`;

export async function claimBatch(
  redis: Pick<Redis, 'eval'>,
  inFlightKey: string,
  batchId: string,
  members: Record<string, string>,
  reads: readonly ContextRead[],
): Promise<Claim> {
  const args = reads.flatMap((read) => ('get' in read ? ['get'] : ['hmget', String(read.fields.length), ...read.fields]));
  const keys = reads.map((read) => ('get' in read ? read.get : read.hmget));
  const [flat, encoded, claimed] = (await redis.eval(CLAIM, 1 + keys.length, inFlightKey, ...keys, batchId, JSON.stringify(members), ...args)) as [
    string[],
    string,
    number,
  ];
  const values = contextValues(JSON.parse(encoded));
  const pending: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) pending[flat[i]!] = flat[i + 1]!;
  return { pending, values, claimed: claimed === 1 };
}

/**
 * The values as Lua's JSON encoder wrote them (a missing value is `false`, and no values at all
 * `{}`), in the shape of ContextValue.
 */
export function contextValues(encoded: unknown): ContextValue[] {
  if (!Array.isArray(encoded)) return [];
  const one = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return encoded.map((value) =>
    typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).map(([field, text]) => [field, one(text)])) : one(value),
  );
}

/** A GET's value among `values`. */
export const getValue = (value: ContextValue | undefined): string | null => (typeof value === 'string' ? value : null);
/** An HMGET's field -> value among `values`. */
export const hmgetValues = (value: ContextValue | undefined): Record<string, string | null> => (typeof value === 'object' && value !== null ? value : {});
