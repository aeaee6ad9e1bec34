// A fake of Zerodha's Kite Connect v3 HTTP API, close enough that the real `kiteconnect` client
// works against it through its `root` option. Used by tests and for manual runs without a Zerodha
// account (`alpha-panda fake-kite`). Routes live in ./routes, one module per area of the API.
import Fastify, { type FastifyInstance } from 'fastify';
import { sendError } from './kite-http';
import { DEFAULT_FAKE_INSTRUMENTS, type FakeInstrument } from './instruments';
import { FakeKiteOrders, type KiteOrderUpdate, type OutsidePosition } from './orders-state';
import { CONTROL_PREFIX, registerControlRoutes, registerTickerControlRoutes } from './routes/control';
import { registerInstrumentRoutes } from './routes/instruments';
import { registerLoginRoutes } from './routes/login';
import { registerOrderRoutes } from './routes/orders';
import { registerPortfolioRoutes } from './routes/portfolio';
import { registerSessionRoutes } from './routes/session';
import { registerUserRoutes } from './routes/user';
import { FakeKiteState, type FakeKiteStateOptions } from './state';
import { FakeKiteTicker } from './ticker';
import { priceDivisor } from './ticker-packets';

/** Equities and indices quote in paise on the wire (priceDivisor 100). */
const PAISE_DIVISOR = 100;

export interface FakeKiteOptions extends FakeKiteStateOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Where the login page sends the browser, like the redirect URL registered with Kite. */
  redirectUrl?: string;
  /** The instrument master served at /instruments and quoted by the ticker. */
  instruments?: readonly FakeInstrument[];
  /** How often the ticker sends quotes or heartbeats; Kite's second by default. */
  tickerIntervalMs?: number;
  tickerSeed?: number;
  /**
   * Orders fill at the ticker's last price (equities and indices, whose wire units are paise), so
   * fills, positions and P&L agree with the feed; off by default, where tests set prices themselves.
   */
  ordersFollowTicker?: boolean;
}

export interface FakeKite {
  /** Base URL of the API, for `ZERODHA__API_ROOT` / kiteconnect's `root`. */
  readonly url: string;
  /** The login page, for `ZERODHA__LOGIN_ROOT`. */
  readonly loginUrl: string;
  /** The websocket ticker, for `ZERODHA__TICKER_ROOT` / KiteTicker's `root`. */
  readonly tickerUrl: string;
  readonly state: FakeKiteState;
  readonly ticker: FakeKiteTicker;
  issueRequestToken(): string;
  /** Ends every live access token, as Kite does at 06:00 IST (their ticker connections close). Returns how many ended. */
  expireAccessTokens(): number;
  isAccessTokenActive(accessToken: string): boolean;
  /** Calls to Kite's routes so far, e.g. `callCount('POST /session/token')`. */
  callCount(route: string): number;
  /** The order book: orders, trades, prices, positions. */
  readonly orders: FakeKiteOrders;
  /** Last price of an instrument (token or tradingsymbol) in paise; resting orders react to it. */
  setPrice(instrument: number | string, pricePaise: number): void;
  /** The next order placed is REJECTED with this status_message. */
  rejectNextOrder(message: string): void;
  /** A position opened behind the platform's back (Kite's web app, or carried overnight). */
  openPosition(position: OutsidePosition): void;
  /** Called with Kite's order-update payload on every status change; returns the unsubscribe. */
  onOrderUpdate(listener: (update: KiteOrderUpdate) => void): () => void;
  close(): Promise<void>;
}

export function buildFakeKiteApp(
  state: FakeKiteState,
  options: { redirectUrl?: string; instruments?: readonly FakeInstrument[]; ticker?: FakeKiteTicker; orders?: FakeKiteOrders } = {},
): FastifyInstance {
  const app = Fastify({ logger: false });

  // Kite's clients post form-encoded bodies; fastify parses only JSON by itself.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route && !route.startsWith(CONTROL_PREFIX)) state.recordCall(`${request.method} ${route}`);
  });

  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'GeneralException', 'Route not found.'));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, 400, 'InputException', error.message);
    return sendError(reply, 500, 'GeneralException', 'Internal error in the fake Kite server.');
  });

  registerSessionRoutes(app, state);
  registerUserRoutes(app, state);
  registerLoginRoutes(app, state, { redirectUrl: options.redirectUrl });
  registerInstrumentRoutes(app, state, options.instruments ?? DEFAULT_FAKE_INSTRUMENTS);
  const orders = options.orders ?? createOrders(state);
  registerOrderRoutes(app, state, orders);
  registerPortfolioRoutes(app, state, orders);
  registerControlRoutes(app, state, orders);
  if (options.ticker) registerTickerControlRoutes(app, options.ticker);
  return app;
}

export async function startFakeKite(options: FakeKiteOptions): Promise<FakeKite> {
  const state = new FakeKiteState(options);
  const instruments = options.instruments ?? DEFAULT_FAKE_INSTRUMENTS;
  const ticker = new FakeKiteTicker(state, { instruments, intervalMs: options.tickerIntervalMs, seed: options.tickerSeed });
  const orders = createOrders(state, options.apiSecret);
  // Kite sends order updates to the user's ticker connections as text frames.
  orders.onOrderUpdate((update) => ticker.pushOrderUpdate(update));
  if (options.ordersFollowTicker) {
    ticker.onQuotes((quotes) => {
      for (const quote of quotes.values()) {
        if (priceDivisor(quote.instrumentToken) === PAISE_DIVISOR) orders.setPrice(quote.instrumentToken, quote.lastPrice);
      }
    });
  }
  const app = buildFakeKiteApp(state, { redirectUrl: options.redirectUrl, instruments, ticker, orders });
  // Kite's ticker answers at the root of its own host; here it shares the API's server and port.
  ticker.attach(app.server);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fake Kite server has no TCP address');
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url,
    loginUrl: `${url}/connect/login`,
    tickerUrl: url.replace(/^http/, 'ws') + '/',
    state,
    ticker,
    issueRequestToken: () => state.issueRequestToken(),
    expireAccessTokens: () => state.expireAccessTokens(),
    isAccessTokenActive: (accessToken) => state.isAccessTokenActive(accessToken),
    callCount: (route) => state.callCount(route),
    orders,
    setPrice: (instrument, pricePaise) => orders.setPrice(instrument, pricePaise),
    rejectNextOrder: (message) => orders.rejectNextOrder(message),
    openPosition: (position) => orders.openPosition(position),
    onOrderUpdate: (listener) => orders.onOrderUpdate(listener),
    close: async () => {
      await ticker.close();
      await app.close();
    },
  };
}

function createOrders(state: FakeKiteState, apiSecret = ''): FakeKiteOrders {
  return new FakeKiteOrders({ userId: state.user.userId, apiSecret, now: state.now });
}
