// A message's bytes into a validated envelope of one of the types a consumer accepts.
//
// Every stage reads market.ticks, and in one process (the benchmark's, or a worker hosting several
// stages) each would parse and validate every tick again: JSON.parse and the zod schema were the
// largest share of the pipeline's CPU in the benchmark's profile. So the envelopes decoded lately
// are kept, keyed by where the message sits in the log and checked against a copy of its bytes
// (a recreated topic has other bytes at the same offset); another stage reading the same message
// gets the same envelope, frozen, so that no stage can change what another one reads. The bytes
// are compared, not hashed: a SHA-1 per message and stage was 4.5% of the pipeline's CPU in the
// benchmark's profile, and a copy (about 1 KiB a tick) does not pin kafkajs' whole fetch buffer.
import { EventValidationError, parseEnvelope, type Envelope, type EventType } from '../domain/events';

export type Decoded<T extends EventType> = { ok: true; envelope: Envelope<T> } | { ok: false; reason: string };

/** Enough for the stages of one process to meet while a few thousand messages apart. */
const RECENT_MESSAGES = 3_000;
const recent = new Map<string, { bytes: Buffer; envelope: Envelope }>();

/** Parses a message value into an envelope of one of the accepted types, or says why not. */
export function decodeEvent<T extends EventType>(value: Buffer | null, types: readonly T[]): Decoded<T> {
  const parsed = parse(value);
  return parsed.ok ? accepted(parsed.envelope, types) : parsed;
}

/** decodeEvent, sharing the work with the other consumers of this process that read the same message. */
export function decodeMessage<T extends EventType>(
  at: { topic: string; partition: number; offset: string },
  value: Buffer | null,
  types: readonly T[],
): Decoded<T> {
  if (value === null || value.length === 0) return decodeEvent(value, types);
  const key = `${at.topic}:${at.partition}:${at.offset}`;
  const seen = recent.get(key);
  if (seen?.bytes.equals(value)) return accepted(seen.envelope, types);
  const parsed = parse(value);
  if (!parsed.ok) return parsed;
  const envelope = deepFreeze(parsed.envelope);
  recent.set(key, { bytes: Buffer.from(value), envelope });
  if (recent.size > RECENT_MESSAGES) recent.delete(recent.keys().next().value!);
  return accepted(envelope, types);
}

function parse(value: Buffer | null): Decoded<EventType> {
  if (value === null || value.length === 0) return { ok: false, reason: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  try {
    return { ok: true, envelope: parseEnvelope(json) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function accepted<T extends EventType>(envelope: Envelope, types: readonly T[]): Decoded<T> {
  if ((types as readonly string[]).includes(envelope.type)) return { ok: true, envelope: envelope as Envelope<T> };
  const error = new EventValidationError('unexpected event type', [`got ${envelope.type}, expected ${types.join(' or ')}`]);
  return { ok: false, reason: error.message };
}

function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
