// The Kite adapter of the market-data port, over kiteconnect's KiteTicker. Each websocket runs in
// its own worker thread (./kite-ticker-worker.mjs), because KiteTicker keeps its socket and state
// at module level and can call process.exit; its auto-reconnect is off and this side reconnects
// with backoff, starting a fresh worker each time (no stray timer or socket of the old connection
// survives to count against Kite's three), and resubscribes every instrument in its mode.
// Instruments are spread over at most three connections of 3,000 each (Kite's limits per API key).
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Tick } from '../../core/domain/events';
import { toDomainTick, type KiteTickerTick } from './kite-ticks';
import type { FeedInstrument, MarketDataHealth, MarketDataSource, TickMode } from './port';

export const KITE_INSTRUMENTS_PER_CONNECTION = 3000;
export const KITE_CONNECTIONS_PER_API_KEY = 3;

export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: ReconnectBackoff = { initialMs: 1_000, maxMs: 60_000 };
const DEFAULT_SESSION_POLL_MS = 2_000;

export interface KiteMarketDataOptions {
  apiKey: string;
  /** ZERODHA__TICKER_ROOT. */
  tickerRoot: string;
  /**
   * The stored session's access token, read before every connection and every `sessionPollMs`
   * while connected (a session that ended or was replaced closes the connection); null when none.
   */
  accessToken: () => Promise<string | null>;
  /** Kite refused this token on the handshake (HTTP 403): the owner marks its session invalid. */
  onTokenRefused?: (accessToken: string) => Promise<void>;
  /** How often the session is read while waiting for one, and while connected (default 2 s). */
  sessionPollMs?: number;
  log: Logger;
  backoff?: ReconnectBackoff;
  instrumentsPerConnection?: number;
  maxConnections?: number;
}

export const backoffMs = (backoff: ReconnectBackoff, attempt: number) => Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt));

export class KiteMarketData implements MarketDataSource {
  readonly kind = 'kite' as const;
  private readonly instruments = new Map<number, FeedInstrument>();
  private readonly placement = new Map<number, KiteConnection>();
  private readonly connections: KiteConnection[] = [];
  private readonly listeners: Array<(ticks: Tick[]) => void> = [];
  private readonly perConnection: number;
  private readonly maxConnections: number;
  private signal: AbortSignal | null = null;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly options: KiteMarketDataOptions) {
    this.perConnection = options.instrumentsPerConnection ?? KITE_INSTRUMENTS_PER_CONNECTION;
    this.maxConnections = options.maxConnections ?? KITE_CONNECTIONS_PER_API_KEY;
  }

  subscribe(instruments: readonly FeedInstrument[], mode: TickMode): void {
    const fresh = [...new Map(instruments.filter((i) => !this.placement.has(i.instrumentToken)).map((i) => [i.instrumentToken, i])).values()];
    const limit = this.perConnection * this.maxConnections;
    if (this.placement.size + fresh.length > limit) {
      throw new Error(
        `${this.placement.size + fresh.length} instruments exceed Kite's limit of ${limit} per API key ` +
          `(${this.perConnection} per websocket, ${this.maxConnections} websockets): subscribe fewer`,
      );
    }
    for (const instrument of instruments) {
      this.instruments.set(instrument.instrumentToken, instrument);
      this.placement.get(instrument.instrumentToken)?.set([instrument.instrumentToken], mode);
    }
    for (const instrument of fresh) {
      const connection = this.connectionWithRoom();
      this.placement.set(instrument.instrumentToken, connection);
      connection.set([instrument.instrumentToken], mode);
    }
  }

  unsubscribe(instrumentTokens: readonly number[]): void {
    for (const token of instrumentTokens) {
      this.placement.get(token)?.remove([token]);
      this.placement.delete(token);
      this.instruments.delete(token);
    }
  }

  onTicks(listener: (ticks: Tick[]) => void): void {
    this.listeners.push(listener);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    for (const connection of this.connections) this.loops.push(connection.run(signal));
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.all(this.loops);
  }

  health(): MarketDataHealth {
    const states = this.connections.map((connection) => connection.state());
    const lastTicks = states.map((s) => s.lastTickAt?.getTime() ?? 0).filter((t) => t > 0);
    const failing = states.find((s) => s.error !== null);
    return {
      connected: states.filter((s) => s.connected).length,
      connections: states.length,
      subscribed: this.placement.size,
      lastTickAt: lastTicks.length > 0 ? new Date(Math.max(...lastTicks)) : null,
      error: failing?.error ?? null,
      needsAction: states.some((s) => s.needsAction),
    };
  }

  /**
   * The first connection with room, else a new one. Connections are scarce (three per API key,
   * shared with anything else using the key), so one fills up before the next opens.
   */
  private connectionWithRoom(): KiteConnection {
    const withRoom = this.connections.find((connection) => connection.size() < this.perConnection);
    if (withRoom) return withRoom;
    const connection = new KiteConnection(this.connections.length + 1, this.options, (raw) => this.emit(raw));
    this.connections.push(connection);
    if (this.signal && !this.signal.aborted) this.loops.push(connection.run(this.signal));
    return connection;
  }

  private emit(raw: readonly KiteTickerTick[]): void {
    const ticks: Tick[] = [];
    for (const tick of raw) {
      const instrument = this.instruments.get(tick.instrument_token);
      // A tick for an instrument just unsubscribed, or one Kite sent unasked: not ours to publish.
      if (!instrument) continue;
      const domain = toDomainTick(tick, instrument);
      if (domain) ticks.push(domain);
    }
    if (ticks.length === 0) return;
    for (const listener of this.listeners) listener(ticks);
  }
}

type WorkerMessage =
  | { type: 'connect' }
  | { type: 'ticks'; ticks: KiteTickerTick[] }
  | { type: 'order_update'; order: unknown }
  | { type: 'error'; message: string }
  | { type: 'disconnect'; code: number | null; reason: string };

interface SessionOutcome {
  opened: boolean;
  tokenRejected: boolean;
  /** Closed here because the stored session ended (expired, refused elsewhere) or was replaced. */
  sessionChanged: boolean;
  error: string | null;
}

const WORKER_URL = new URL('./kite-ticker-worker.mjs', import.meta.url);

/** Kite refuses the websocket handshake of an access token it no longer accepts with 403. */
export const TOKEN_REFUSED =
  "TokenException: Kite refused the access token on the ticker (HTTP 403); log in again ('alpha-panda auth') and the feed resumes with the new session";
export const NO_SESSION =
  "no valid Zerodha session is stored (it expired at 06:00 IST, Kite refused it, or nobody logged in yet); log in again ('alpha-panda auth') and the feed resumes with the new session";

class KiteConnection {
  private readonly desired = new Map<number, TickMode>();
  private worker: Worker | null = null;
  private connected = false;
  private error: string | null = null;
  private needsAction = false;
  private lastTickAt: Date | null = null;

  constructor(
    private readonly id: number,
    private readonly options: KiteMarketDataOptions,
    private readonly onTicks: (ticks: KiteTickerTick[]) => void,
  ) {}

  size(): number {
    return this.desired.size;
  }

  state() {
    return { connected: this.connected, error: this.error, needsAction: this.needsAction, lastTickAt: this.lastTickAt };
  }

  set(tokens: readonly number[], mode: TickMode): void {
    const fresh = tokens.filter((token) => !this.desired.has(token));
    for (const token of tokens) this.desired.set(token, mode);
    if (!this.connected) return;
    if (fresh.length > 0) this.post({ type: 'subscribe', tokens: fresh });
    this.post({ type: 'mode', mode, tokens: [...tokens] });
  }

  remove(tokens: readonly number[]): void {
    const known = tokens.filter((token) => this.desired.delete(token));
    if (this.connected && known.length > 0) this.post({ type: 'unsubscribe', tokens: known });
  }

  async run(signal: AbortSignal): Promise<void> {
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    const sessionPollMs = this.options.sessionPollMs ?? DEFAULT_SESSION_POLL_MS;
    const log = this.options.log.child({ connection: this.id });
    let attempt = 0;
    let refusedToken: string | null = null;
    while (!signal.aborted) {
      if (this.desired.size === 0) {
        await pause(200, signal);
        continue;
      }
      let accessToken: string | null;
      try {
        accessToken = await this.options.accessToken();
      } catch (error) {
        this.error = `could not read the stored Zerodha session: ${(error as Error).message}`;
        await pause(backoffMs(backoff, attempt++), signal);
        continue;
      }
      if (accessToken === null || accessToken === refusedToken) {
        // Retrying a token Kite refused only spends handshakes: wait for a new login instead,
        // reading the session store (not Kite) often enough to resume within seconds of it.
        if (accessToken === null) this.error = NO_SESSION;
        this.needsAction = true;
        attempt = 0;
        await pause(sessionPollMs, signal);
        continue;
      }
      const outcome = await this.session(accessToken, sessionPollMs, signal);
      if (signal.aborted) break;
      if (outcome.opened) attempt = 0;
      if (outcome.sessionChanged) {
        log.warn('the stored Zerodha session ended or was replaced; reconnecting with the current one');
        continue;
      }
      if (outcome.tokenRejected) {
        refusedToken = accessToken;
        this.error = TOKEN_REFUSED;
        this.needsAction = true;
        log.error('Kite refused the access token on the ticker; waiting for a new session');
        await this.options.onTokenRefused?.(accessToken).catch((error: unknown) =>
          log.error({ err: error }, 'could not mark the refused Zerodha session invalid'),
        );
      } else {
        this.error = outcome.opened ? null : `ticker connection failed: ${outcome.error ?? 'closed'}`;
      }
      const delay = backoffMs(backoff, attempt++);
      log.warn({ delayMs: delay, error: outcome.error }, 'ticker disconnected; reconnecting');
      await pause(delay, signal);
    }
  }

  /** One connection, in a fresh worker; resolves once it is closed. */
  private session(accessToken: string, sessionPollMs: number, signal: AbortSignal): Promise<SessionOutcome> {
    const outcome: SessionOutcome = { opened: false, tokenRejected: false, sessionChanged: false, error: null };
    const worker = new Worker(WORKER_URL, {
      workerData: { apiKey: this.options.apiKey, accessToken, root: this.options.tickerRoot },
    });
    this.worker = worker;
    return new Promise<SessionOutcome>((resolve) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        this.connected = false;
        this.worker = null;
        clearInterval(watching);
        signal.removeEventListener('abort', onAbort);
        void worker.terminate().finally(() => resolve(outcome));
      };
      const close = () => {
        this.post({ type: 'disconnect' });
        // Give the close frame a moment, then end the thread whatever it is doing.
        setTimeout(finish, 100).unref();
      };
      const onAbort = close;
      signal.addEventListener('abort', onAbort, { once: true });
      // A session that passed 06:00 IST, that another service saw refused, or that a new login
      // replaced: close, and the loop connects with whatever the store holds now.
      const watching = setInterval(() => {
        void this.options.accessToken().then(
          (current) => {
            if (current === accessToken || settled) return;
            outcome.sessionChanged = true;
            close();
          },
          () => undefined, // the store is unreachable: keep the connection that works
        );
      }, sessionPollMs);
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'connect':
            outcome.opened = true;
            this.connected = true;
            this.error = null;
            this.needsAction = false;
            this.resubscribe();
            break;
          case 'ticks':
            this.lastTickAt = new Date();
            this.onTicks(message.ticks);
            break;
          case 'error':
            outcome.error = message.message;
            if (/\b403\b/.test(message.message)) outcome.tokenRejected = true;
            break;
          case 'disconnect':
            outcome.error ??= `closed (code ${message.code ?? 'none'})`;
            finish();
            break;
          case 'order_update':
            break;
        }
      });
      worker.on('error', (error) => {
        outcome.error = `ticker worker failed: ${error.message.split(accessToken).join('***')}`;
        finish();
      });
      worker.on('exit', finish);
    });
  }

  /** Kite forgets a connection's subscriptions when it closes: every instrument again, in its mode. */
  private resubscribe(): void {
    const byMode = new Map<TickMode, number[]>();
    for (const [token, mode] of this.desired) byMode.set(mode, [...(byMode.get(mode) ?? []), token]);
    const all = [...this.desired.keys()];
    if (all.length > 0) this.post({ type: 'subscribe', tokens: all });
    for (const [mode, tokens] of byMode) this.post({ type: 'mode', mode, tokens });
  }

  private post(message: { type: 'subscribe' | 'unsubscribe'; tokens: number[] } | { type: 'mode'; mode: TickMode; tokens: number[] } | { type: 'disconnect' }): void {
    this.worker?.postMessage(message);
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
