// The Kite broker behind the engine's broker port (zerodha namespace): orders over Kite's REST API
// through the Kite order client (core/broker/kite-orders.ts, rate-limited, queues and never
// drops), followed to their end by polling the order book, and the account reconciled at start.
//
// Effectively-once placement. Placing an order at Kite is not idempotent, and the engine may
// process a validated signal twice (a crash after placing, before the batch committed). So:
//   1. the order id (derived from the validated signal) gives Kite's `tag` (kiteTagFor);
//   2. before placing, an intent is written to Redis with SET NX ({ns}:trading-engine:intent:<id>);
//   3. a signal whose intent already exists was handled before: its tag is looked up in Kite's
//      order book (placeOrder with `recovering`) and the order found there is followed instead
//      of a new one being placed; only an order missing from the book is placed;
//   4. an order already in the committed state is never placed again.
// A TokenException means Kite refused the call before acting on it, so the call is repeated once
// a new session is stored.
//
// Execution settings per strategy: `parameters.execution` of the strategy's row, e.g.
// {"variety": "regular", "validity": "DAY", "marketProtection": -1}. The product and order type
// come from the signal. market_protection goes on MARKET and SL-M orders, -1 (Kite's automatic
// protection) unless the strategy sets a percentage.
//
// The state and the following of orders through the order book are in kite-account-state.ts; the
// reconciliation at start, which brings the state to Kite's order book and positions, in
// kite-reconciliation.ts.
//
// Token expiry: any call refused with a TokenException marks the session invalid in the session
// store and pauses the adapter: the call waits (the batch with it, so later signals queue in Kafka
// and none is dropped), status() reports `needsAuth`, and the session store is polled until a new
// session is stored (`alpha-panda auth`, the API or the signal); then the call is made again. The
// store is read before every call and every second while idle, so a session that passed 06:00 IST
// or that the ticker saw refused pauses the adapter too, before any order is tried with it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { KiteError } from '../../core/broker/kite-error';
import { redisKiteCallMeter } from '../../core/broker/kite-calls';
import { NO_PROGRESS } from '../../core/broker/kite-order-events';
import { createKiteOrderClient, kiteTagFor, type KiteOrderClient, type KiteOrderType, type KiteVariety } from '../../core/broker/kite-orders';
import { loadValidSession, markSessionRefused } from '../../core/broker/session-store';
import type { Config } from '../../core/config/load';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { paise } from '../../core/domain/money';
import { namespacedKey } from '../../core/redis/keys';
import type { BrokerAdapter, BrokerStatus, BrokerStep, ExecutionReport, OrderRequest } from './broker';
import { followOrders, heldQuantity, isKiteAccountState, KITE_STATE_VERSION, recordOf, type KiteAccountState, type OrderDescription } from './kite-account-state';
import { reconcileKiteAccount } from './kite-reconciliation';

export interface KiteBrokerDeps {
  config: Config;
  namespace: BrokerNamespace;
  redis: Redis;
  postgres: Pool;
  log: Logger;
  now?: () => Date;
  /** How often the order book is read while orders are open (one read of Kite's 10/s). */
  pollIntervalMs?: number;
  /** How often the session store is read while Kite refuses the session. */
  sessionPollMs?: number;
  clientFor?: (accessToken: string) => KiteOrderClient;
}

interface Execution {
  variety: KiteVariety;
  validity: 'DAY' | 'IOC';
  marketProtection: number;
  exchange: string;
}

export const kiteIntentKey = (namespace: BrokerNamespace, orderId: string) => namespacedKey(namespace, 'trading-engine', 'intent', orderId);
const INTENT_TTL_SECONDS = 7 * 86_400;

const PAUSED_REFUSED =
  'paused: Zerodha refused the session (TokenException: the access token expired at 06:00 IST or was revoked); orders wait until a new login (alpha-panda auth)';
const PAUSED_EXPIRED = 'paused: the Zerodha session is no longer valid (past 06:00 IST, or refused by Kite); orders wait until a new login (alpha-panda auth)';
const PAUSED_NO_SESSION = 'paused: no Zerodha session is stored; orders wait until a login (alpha-panda auth)';

export function createKiteBrokerAdapter(deps: KiteBrokerDeps): BrokerAdapter<KiteAccountState> {
  const { config, namespace, redis, log } = deps;
  const now = deps.now ?? (() => new Date());
  // Every call to Kite is counted in the shared Redis hash the API's /metrics reads.
  const meter = redisKiteCallMeter(redis);
  const clientFor = deps.clientFor ?? ((token: string) => createKiteOrderClient(config, token, { meter }));
  const sessionPollMs = deps.sessionPollMs ?? 2000;
  let client: KiteOrderClient | null = null;
  /** The stored session `client` talks with. */
  let sessionId: string | null = null;
  /** The last session Kite refused here: never used again, even if marking it invalid failed. */
  let refusedId: string | null = null;
  let closed = false;
  const status: BrokerStatus = { paused: false, needsAuth: false, differences: [] };

  function pause(detail: string) {
    if (status.paused && status.detail === detail) return;
    status.paused = true;
    status.needsAuth = true;
    status.detail = detail;
    log.warn(detail);
  }

  /**
   * Follows the session store: the client of the newest valid session (a new login switches to
   * it), or null with the adapter paused when there is none (expired at 06:00 IST, refused by Kite
   * here or in another service, or never stored).
   */
  async function observeSession(): Promise<KiteOrderClient | null> {
    const stored = await loadValidSession(deps.postgres, config, now());
    if (!stored || stored.id === refusedId) {
      const hadOne = sessionId !== null;
      client = null;
      sessionId = null;
      // An adapter already paused keeps saying why it paused first.
      if (stored) pause(PAUSED_REFUSED);
      else if (!status.paused) pause(hadOne ? PAUSED_EXPIRED : PAUSED_NO_SESSION);
      return null;
    }
    if (stored.id !== sessionId) {
      client = clientFor(stored.accessToken);
      sessionId = stored.id;
    }
    if (status.paused) {
      log.info({ userId: stored.userId }, 'a valid Zerodha session is stored; order placement resumes');
      status.paused = false;
      status.needsAuth = false;
      delete status.detail;
    }
    return client;
  }

  /** The client of a valid session; waits (paused) until one is stored. */
  async function session(): Promise<{ kite: KiteOrderClient; id: string }> {
    for (;;) {
      if (closed) throw new Error('the Kite broker is stopping');
      const kite = await observeSession();
      if (kite && sessionId) return { kite, id: sessionId };
      await sleep(sessionPollMs);
    }
  }

  async function call<T>(work: (kite: KiteOrderClient) => Promise<T>): Promise<T> {
    for (;;) {
      const { kite, id } = await session();
      try {
        return await work(kite);
      } catch (error) {
        if (!(error instanceof KiteError) || error.kind !== 'token') throw error;
        // Refused before Kite acted on it: safe to make again with the next session. Marked invalid
        // in the store, so the feed and the other namespace stop using it too.
        refusedId = id;
        client = null;
        sessionId = null;
        pause(PAUSED_REFUSED);
        await markSessionRefused(deps.postgres, id, now()).catch((failure: unknown) =>
          log.error({ err: failure }, 'could not mark the refused Zerodha session invalid'),
        );
      }
    }
  }

  async function execution(strategyId: string, instrumentToken: number): Promise<Execution> {
    const { rows } = await deps.postgres.query<{ execution: Record<string, unknown> | null; exchange: string | null }>(
      `select (select parameters->'execution' from strategy_configurations where namespace = $1 and id = $2) as execution,
              (select exchange from instruments where instrument_token = $3 limit 1) as exchange`,
      [namespace, strategyId, instrumentToken],
    );
    const settings = rows[0]?.execution ?? {};
    const protection = typeof settings.marketProtection === 'number' ? settings.marketProtection : -1;
    return {
      variety: settings.variety === 'amo' ? 'amo' : 'regular',
      validity: settings.validity === 'IOC' ? 'IOC' : 'DAY',
      marketProtection: protection,
      exchange: rows[0]?.exchange ?? 'NSE',
    };
  }

  function rejected(request: OrderRequest, tracked: OrderDescription, reason: string): ExecutionReport {
    const { context } = tracked;
    return {
      type: 'order_rejected',
      originId: request.orderId,
      data: { orderId: context.orderId, strategyId: context.strategyId, instrumentToken: context.instrumentToken, tradingsymbol: context.tradingsymbol, side: context.side, product: context.product, quantity: tracked.quantity, reason, rejectedAt: request.submittedAt },
      order: recordOf(tracked, 'REJECTED', NO_PROGRESS, reason),
    };
  }

  return {
    kind: 'kite',
    pollIntervalMs: deps.pollIntervalMs ?? 1000,

    initialState: () => ({ version: KITE_STATE_VERSION, open: {}, positions: {} }),

    restore(saved) {
      if (!isKiteAccountState(saved)) throw new Error(`the Kite trading engine's saved state is not a version ${KITE_STATE_VERSION} Kite account`);
      return saved;
    },

    async submit(state, request, context): Promise<BrokerStep<KiteAccountState>> {
      const { validated, orderId } = request;
      const { signal } = validated;
      if (state.open[orderId]) return { state, reports: [] };
      const tracked = {
        context: { orderId, strategyId: signal.strategyId, instrumentToken: signal.instrumentToken, tradingsymbol: signal.tradingsymbol, side: signal.side, product: signal.product },
        orderType: signal.orderType,
        quantity: validated.approvedQuantity,
        limitPrice: signal.orderType === 'LIMIT' || signal.orderType === 'SL' ? (signal.limitPrice ?? null) : null,
        triggerPrice: signal.orderType === 'SL' || signal.orderType === 'SL-M' ? (signal.triggerPrice ?? null) : null,
        correlationId: request.correlationId,
        submittedAt: request.submittedAt,
      };
      // Only orders that reduce what is held go through while the kill switch is on.
      const held = heldQuantity(state.positions, signal.instrumentToken, signal.product);
      const reduces = signal.side === 'SELL' ? held >= tracked.quantity : -held >= tracked.quantity;
      if (context.halted !== null && !reduces) return { state, reports: [rejected(request, tracked, context.halted)] };

      const settings = await execution(signal.strategyId, signal.instrumentToken);
      const tag = kiteTagFor(orderId);
      // The intent: present means this order may already be at Kite (see the header).
      const fresh = (await redis.set(kiteIntentKey(namespace, orderId), JSON.stringify({ tag, at: now().toISOString() }), 'EX', INTENT_TTL_SECONDS, 'NX')) === 'OK';
      let kiteOrderId: string;
      try {
        const placed = await call((kite) =>
          kite.placeOrder(
            {
              tag,
              exchange: settings.exchange,
              tradingsymbol: signal.tradingsymbol,
              side: signal.side,
              quantity: tracked.quantity,
              product: signal.product,
              orderType: signal.orderType as KiteOrderType,
              ...(tracked.limitPrice !== null ? { limitPrice: paise(tracked.limitPrice) } : {}),
              ...(tracked.triggerPrice !== null ? { triggerPrice: paise(tracked.triggerPrice) } : {}),
              validity: settings.validity,
              variety: settings.variety,
              marketProtection: settings.marketProtection,
            },
            { recovering: !fresh },
          ),
        );
        kiteOrderId = placed.orderId;
        if (placed.alreadyPlaced) log.warn({ orderId, kiteOrderId, tag }, 'order found at Kite by its tag; not placing it again');
      } catch (error) {
        // Kite refused the order itself (bad input, margin, OMS): a rejection, not a failure.
        if (error instanceof KiteError && (error.kind === 'input' || error.kind === 'order')) return { state, reports: [rejected(request, tracked, error.message)] };
        throw error;
      }
      return { state: { ...state, open: { ...state.open, [orderId]: { ...tracked, kiteOrderId, progress: NO_PROGRESS } } }, reports: [] };
    },

    // Kite fills orders itself; ticks change nothing here.
    onTick: (state) => ({ state, reports: [] }),
    watches: () => false,

    async pollUpdates(state) {
      if (Object.keys(state.open).length === 0) {
        // Nothing to follow, but an idle engine still shows a session that expired or was refused
        // elsewhere (needsAuth), and that a new login ended the pause.
        await observeSession();
        return { state, reports: [] };
      }
      const book = new Map((await call((kite) => kite.getOrders())).map((order) => [order.orderId, order]));
      const { state: next, reports } = followOrders(state, book);
      return { state: next, reports };
    },

    async reconcile(state) {
      const [positions, orders] = await Promise.all([call((kite) => kite.getPositions()), call((kite) => kite.getOrders())]);
      const reconciled = reconcileKiteAccount(state, { orders, positions: positions.net }, { namespace, now: now() });
      status.differences = reconciled.differences;
      return reconciled;
    },

    status: () => ({ ...status, differences: [...status.differences] }),

    close() {
      closed = true;
    },
  };
}
