// Deterministic event ids. A stage that re-processes an input after a crash (Kafka delivers at
// least once) must emit outputs with the SAME ids as the first time, so that the next stage's
// dedup recognises them. A derived id is a valid UUIDv7 whose timestamp is the cause's and whose
// random bits are a hash of the cause's id and what distinguishes this output from its siblings.
import { createHash } from 'node:crypto';

/** The millisecond timestamp embedded in a UUIDv7. */
export function uuidv7Timestamp(id: string): number {
  return parseInt(id.replaceAll('-', '').slice(0, 12), 16);
}

export function derivedEventId(causeId: string, discriminator: string): string {
  const hash = createHash('sha256').update(causeId).update('\u0000').update(discriminator).digest();
  return uuidv7From(uuidv7Timestamp(causeId), hash);
}

/**
 * An id named by what the event stands for rather than by a cause, e.g. one namespace's contract
 * note of one day: whoever emits it, however often, gives it the same id. `at` is its timestamp.
 */
export function namedEventId(at: Date, name: string): string {
  return uuidv7From(at.getTime(), createHash('sha256').update(name).digest());
}

function uuidv7From(timestampMs: number, hash: Buffer): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(timestampMs, 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of the risk manager's decision on a raw signal: validated or rejected, one per signal. */
export const riskDecisionId = (signalEventId: string) => derivedEventId(signalEventId, 'risk-decision');

/** The order id the trading engine gives the order of a validated signal event. */
export const orderIdFor = (validatedEventId: string) => derivedEventId(validatedEventId, 'order');
