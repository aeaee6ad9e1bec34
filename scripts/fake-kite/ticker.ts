// The fake's websocket ticker, on the same HTTP server as its API: Kite's handshake (api_key and
// access_token in the query, 403 for a token that does not work), subscribe / unsubscribe / mode
// per connection, binary quote frames once a second (a one-byte heartbeat when nothing is
// subscribed), JSON text frames for order updates. Prices follow a script per instrument when a
// test sets one, else a seeded random walk on the instrument's tick size.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FakeKiteState } from './state';
import { FakeQuoteBook, type ScriptedQuote } from './ticker-quotes';
import { encodeFrame, encodePacket, HEARTBEAT, type WireMode, type WireQuote } from './ticker-packets';
import type { FakeInstrument } from './instruments';

export interface FakeTickerOptions {
  instruments: readonly FakeInstrument[];
  /** How often every connection gets its quotes (or a heartbeat); Kite's cadence is a second. */
  intervalMs?: number;
  seed?: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly apiKey: string;
  readonly accessToken: string;
  readonly modes: Map<number, WireMode>;
}

/** Kite's limit per connection. */
export const MAX_TOKENS_PER_CONNECTION = 3000;
const MODES: readonly WireMode[] = ['ltp', 'quote', 'full'];

export class FakeKiteTicker {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly connections = new Set<Connection>();
  private readonly book: FakeQuoteBook;
  private readonly timer: NodeJS.Timeout;
  private connectionCount = 0;
  private refusedCount = 0;
  private readonly quoteListeners: Array<(quotes: ReadonlyMap<number, WireQuote>) => void> = [];

  constructor(
    private readonly state: FakeKiteState,
    options: FakeTickerOptions,
  ) {
    this.book = new FakeQuoteBook(options.instruments, options.seed ?? 1, state.now);
    this.timer = setInterval(() => this.tickNow(), options.intervalMs ?? 1000);
    this.timer.unref();
    // Kite drops a token's sockets when the token stops working (logout, the 06:00 expiry).
    state.onAccessTokensEnded(() => this.closeEndedSessions());
  }

  /** Serves websocket upgrades on the fake's HTTP server, at Kite's path (the root). */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Connections opened and handshakes refused since start, and the connections open now. */
  stats(): { opened: number; refused: number; open: number; subscribed: number[] } {
    return {
      opened: this.connectionCount,
      refused: this.refusedCount,
      open: this.connections.size,
      subscribed: [...this.connections].map((connection) => connection.modes.size),
    };
  }

  /** The mode of each token a connection subscribed to, for every open connection. */
  subscriptions(): Array<Record<number, WireMode>> {
    return [...this.connections].map((connection) => Object.fromEntries(connection.modes));
  }

  /** Makes the instrument's next quotes follow this path, one entry per tick; its last one then holds. */
  setPricePath(instrumentToken: number, path: readonly ScriptedQuote[]): void {
    this.book.setPath(instrumentToken, path);
  }

  /** Called with the quotes of every step (wire units), before they are sent. */
  onQuotes(listener: (quotes: ReadonlyMap<number, WireQuote>) => void): void {
    this.quoteListeners.push(listener);
  }

  /** Advances every subscribed instrument by one step and sends each connection its frame now. */
  tickNow(): number {
    const subscribed = new Set<number>();
    for (const connection of this.connections) for (const token of connection.modes.keys()) subscribed.add(token);
    const quotes = this.book.advance([...subscribed]);
    for (const listener of this.quoteListeners) listener(quotes);
    let sent = 0;
    for (const connection of this.connections) {
      const packets = [...connection.modes].flatMap(([token, mode]) => {
        const quote = quotes.get(token);
        return quote ? [encodePacket(quote, mode)] : [];
      });
      send(connection.socket, packets.length > 0 ? encodeFrame(packets) : HEARTBEAT);
      sent += 1;
    }
    return sent;
  }

  /** Sends `{"type":"order","data":...}` to every connection of the API key, as Kite streams postbacks. */
  pushOrderUpdate(data: Record<string, unknown>): number {
    const text = JSON.stringify({ type: 'order', id: '', data });
    let sent = 0;
    for (const connection of this.connections) {
      if (connection.apiKey !== this.state.apiKey) continue;
      send(connection.socket, text);
      sent += 1;
    }
    return sent;
  }

  /** Drops every connection without a closing handshake, like a network failure. Returns how many. */
  dropAllConnections(): number {
    const dropped = this.connections.size;
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    return dropped;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.dropAllConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private closeEndedSessions(): void {
    for (const connection of this.connections) {
      if (this.state.isAccessTokenActive(connection.accessToken)) continue;
      connection.socket.close(1000, 'access token no longer valid');
      this.connections.delete(connection);
    }
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake-kite');
    if (url.pathname !== '/') return refuse(socket, 404, 'Not Found', 'GeneralException', 'Route not found.');
    const apiKey = url.searchParams.get('api_key') ?? '';
    const accessToken = url.searchParams.get('access_token') ?? '';
    const authorized = this.state.authorize(apiKey, accessToken);
    if (!authorized.ok) {
      this.refusedCount += 1;
      return refuse(socket, 403, 'Forbidden', authorized.errorType, authorized.message);
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = { socket: ws, apiKey, accessToken, modes: new Map() };
      this.connections.add(connection);
      this.connectionCount += 1;
      ws.on('message', (data, isBinary) => {
        if (!isBinary) this.handleRequest(connection, data);
      });
      ws.on('close', () => this.connections.delete(connection));
      ws.on('error', () => this.connections.delete(connection));
    });
  }

  /** `{"a": "subscribe" | "unsubscribe", "v": [tokens]}` or `{"a": "mode", "v": [mode, [tokens]]}`. */
  private handleRequest(connection: Connection, data: RawData): void {
    let message: { a?: unknown; v?: unknown };
    try {
      message = JSON.parse(rawText(data)) as typeof message;
    } catch {
      return sendError(connection.socket, 'Invalid message: not JSON.');
    }
    if (message.a === 'subscribe' && isTokenList(message.v)) {
      // A new subscription starts in quote mode, as on Kite.
      for (const token of message.v) if (!connection.modes.has(token)) connection.modes.set(token, 'quote');
      if (connection.modes.size > MAX_TOKENS_PER_CONNECTION) {
        for (const token of message.v) connection.modes.delete(token);
        sendError(connection.socket, `Subscription limit of ${MAX_TOKENS_PER_CONNECTION} instruments exceeded.`);
      }
    } else if (message.a === 'unsubscribe' && isTokenList(message.v)) {
      for (const token of message.v) connection.modes.delete(token);
    } else if (message.a === 'mode' && Array.isArray(message.v) && MODES.includes(message.v[0] as WireMode) && isTokenList(message.v[1])) {
      const mode = message.v[0] as WireMode;
      for (const token of message.v[1]) if (connection.modes.has(token)) connection.modes.set(token, mode);
    } else {
      sendError(connection.socket, 'Invalid message.');
    }
  }
}

function isTokenList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((token) => Number.isInteger(token) && token > 0);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function send(socket: WebSocket, data: Buffer | string): void {
  if (socket.readyState === socket.OPEN) socket.send(data);
}

function sendError(socket: WebSocket, message: string): void {
  send(socket, JSON.stringify({ type: 'error', data: message }));
}

/** Answers the handshake with an HTTP error in Kite's JSON shape, and hangs up. */
function refuse(socket: Duplex, status: number, reason: string, errorType: string, message: string): void {
  const body = JSON.stringify({ status: 'error', message, data: null, error_type: errorType });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
