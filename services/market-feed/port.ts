// The market-data port: what the market feed needs of a source of ticks, whichever it is (the
// simulator in mock mode, Kite's ticker live). The feed decides which instruments to watch and
// publishes what the source emits; the source connects, reconnects and resubscribes by itself.
import type { Tick } from '../../core/domain/events';

export type TickMode = Tick['mode'];

/** What the feed knows of an instrument it subscribes to (the instrument master's row). */
export interface FeedInstrument {
  readonly instrumentToken: number;
  readonly tradingsymbol: string;
  readonly exchange: string;
}

export interface MarketDataHealth {
  /** Open connections to the venue (the simulator counts as one). */
  readonly connected: number;
  readonly connections: number;
  readonly subscribed: number;
  readonly lastTickAt: Date | null;
  /** Why the source cannot deliver right now, e.g. a refused access token; null when it can. */
  readonly error: string | null;
  /** True when restarting will not help until someone acts (log in again). */
  readonly needsAction: boolean;
}

export interface MarketDataSource {
  readonly kind: 'simulated' | 'kite';
  /** Runs until the signal aborts; rejects only on a failure the source cannot recover from. */
  run(signal: AbortSignal): Promise<void>;
  /** Adds instruments, or changes their mode; throws when they would exceed the venue's limits. */
  subscribe(instruments: readonly FeedInstrument[], mode: TickMode): void;
  unsubscribe(instrumentTokens: readonly number[]): void;
  /** Every tick, already in the domain's shape. */
  onTicks(listener: (ticks: Tick[]) => void): void;
  health(): MarketDataHealth;
}
