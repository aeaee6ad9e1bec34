// A fill's sequence: its offset in {ns}.orders.filled. The topic's key keeps all fills of one
// strategy-instrument on one partition, in the order the engine made them, so the offset orders
// them for every reader: the portfolio stamps each position of a snapshot with the sequence of
// the last fill it booked, and the risk manager compares that with the fills it counted itself.
import type { ConsumedEvent } from '../kafka/consumer';

/** Envelope id -> sequence of the fills among `events` (undefined for anything else). */
export function fillSequences(events: readonly ConsumedEvent[]): (eventId: string) => number | undefined {
  const sequences = new Map<string, number>();
  for (const event of events) {
    if (event.envelope.type === 'order_filled') sequences.set(event.envelope.id, Number(event.offset));
  }
  return (eventId) => sequences.get(eventId);
}
