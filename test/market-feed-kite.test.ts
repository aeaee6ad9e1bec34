// The live market feed end to end: kiteconnect's KiteTicker (in its worker threads) against the
// fake Kite's websocket, the session from the encrypted store, the instruments from a synced
// instrument master and the strategies in Postgres, ticks on a prefixed market.ticks in Kafka.
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncInstrumentMaster } from '../core/broker/kite-instruments';
import { loadValidSession } from '../core/broker/session-store';
import type { Config } from '../core/config/load';
import type { Envelope, Tick } from '../core/domain/events';
import { marketTicksTopic, topicSpecs } from '../core/domain/topics';
import { BROKER_RETRY, createKafka } from '../core/kafka/client';
import { bootstrapTopics } from '../core/kafka/topics';
import { configureLogging } from '../core/logging';
import { readLastPrices } from '../core/redis/last-prices';
import type { StreamingService } from '../core/service';
import { DEFAULT_FAKE_INSTRUMENTS } from '../scripts/fake-kite/instruments';
import type { FakeKite } from '../scripts/fake-kite/server';
import { createKiteMarketFeed } from '../services/market-feed/kite-feed';
import { startKiteTestStack, type KiteTestStack } from './support/kite';
import { waitFor } from './support/temporal';
import { releasePrefix, testPrefix } from './support/topics';

const apiKey = 'feedkey01';
const apiSecret = 'feedsecret0123456789';
const INFY = 408065; // NSE
const NIFTY = 256265; // NSE indices
const USDINR = 412675; // CDS
const RELIANCE = 738561; // only in an inactive strategy

const prefix = testPrefix();
let stack: KiteTestStack;
let fake: FakeKite;
let config: Config;
let pool: pg.Pool;
let kafka: Kafka;
let redis: Redis;
const received: Envelope<'tick_received'>[] = [];
let stopReader: () => Promise<void>;
let feed: StreamingService;
let controller: AbortController;
let running: Promise<void>;
/** The feed's clock runs this far ahead of the wall clock (the fake's stays on the wall clock). */
let clockAheadMs = 0;

const t = (iso: string) => new Date(iso);
const depth = (side: 'buy' | 'sell', base: string) =>
  [0, 1, 2, 3, 4].map((i) => ({ price: (Number(base) + (side === 'buy' ? -i : i) * 0.05).toFixed(2), quantity: 100 * (i + 1), orders: i + 1 }));

const login = () => stack.login();

const ticksOf = (token: number, since = 0) => received.slice(since).filter((e) => e.data.instrumentToken === token).map((e) => e.data);

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  stack = await startKiteTestStack({
    apiKey,
    apiSecret,
    fake: { tickerIntervalMs: 200 },
    redis: true,
    env: { STRATEGIES__REFRESH_INTERVAL_MS: '300', REDPANDA__TOPIC_PREFIX: prefix },
  });
  ({ fake, config, pool } = stack);
  redis = new Redis(stack.redisUrl!);
  kafka = createKafka(config);
  await bootstrapTopics(kafka, topicSpecs([], prefix));
  const reader = kafka.consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 100, retry: BROKER_RETRY });
  await reader.connect();
  await reader.subscribe({ topic: marketTicksTopic(prefix), fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void received.push(JSON.parse(message.value!.toString()) as Envelope<'tick_received'>) });
  stopReader = () => reader.disconnect();
});

afterAll(async () => {
  controller?.abort();
  await running;
  await stopReader?.();
  redis?.disconnect();
  await releasePrefix(kafka, prefix);
  await stack?.close();
});

describe('Kite market feed against the fake Kite', () => {
  it('syncs the instrument master idempotently: a second run gives the same rows', async () => {
    await login();
    const rows = async () => (await pool.query('select * from instruments order by instrument_token')).rows;
    const first = await syncInstrumentMaster(config, pool);
    const count = DEFAULT_FAKE_INSTRUMENTS.length;
    expect(first).toMatchObject({ downloaded: count, inserted: count, updated: 0, unchanged: 0 });
    const before = await rows();
    const second = await syncInstrumentMaster(config, pool);
    expect(second).toMatchObject({ downloaded: count, inserted: 0, updated: 0, unchanged: count });
    expect(await rows()).toEqual(before);
    const usd = before.find((row) => row.instrument_token === USDINR);
    expect(usd).toMatchObject({
      tradingsymbol: 'USDINR26MARFUT',
      exchange: 'CDS',
      segment: 'CDS-FUT',
      instrument_type: 'FUT',
      name: 'USDINR',
      tick_size: '0.0025',
      tick_size_paise: null,
      lot_size: 1,
      strike: '0',
    });
    expect((usd!.expiry as Date).getFullYear()).toBe(2026);
    expect(before.find((row) => row.instrument_token === INFY)).toMatchObject({ tick_size: '0.05', tick_size_paise: 5, last_price_paise: 150_000, expiry: null });
    expect(before.find((row) => row.instrument_token === NIFTY)).toMatchObject({ segment: 'INDICES', lot_size: 0, tick_size_paise: null });
  });

  it('publishes every full-mode field exactly for an equity, an index and a currency future', async () => {
    await pool.query(
      `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, is_active) values
         ('paper', 'p1', 'p1', 'momentum', $1, true),
         ('zerodha', 'z1', 'z1', 'rsi', $2, true),
         ('zerodha', 'z2', 'z2', 'rsi', $3, false)`,
      [[INFY, NIFTY], [USDINR], [RELIANCE]],
    );
    fake.ticker.setPricePath(INFY, [
      {
        price: '1500.25', lastQuantity: 7, averagePrice: '1499.95', volume: 1_234_567, buyQuantity: 9_000, sellQuantity: 8_000,
        open: '1490.00', high: '1510.00', low: '1485.50', close: '1495.00', oi: 0,
        lastTradeTime: t('2026-03-02T10:15:01+05:30'), exchangeTimestamp: t('2026-03-02T10:15:02+05:30'),
        depth: { buy: depth('buy', '1500.20'), sell: depth('sell', '1500.30') },
      },
    ]);
    fake.ticker.setPricePath(NIFTY, [
      { price: '23406.85', open: '23344.45', high: '23441.95', low: '23295.95', close: '23264.85', exchangeTimestamp: t('2026-03-02T10:15:03+05:30') },
    ]);
    fake.ticker.setPricePath(USDINR, [
      {
        price: '86.2575', lastQuantity: 3, averagePrice: '86.2512', volume: 40_000, buyQuantity: 1_500, sellQuantity: 1_700,
        open: '86.2000', high: '86.3000', low: '86.1825', close: '86.2125', oi: 1_234_567, oiDayHigh: 1_300_000, oiDayLow: 1_200_000,
        lastTradeTime: t('2026-03-02T10:15:04+05:30'), exchangeTimestamp: t('2026-03-02T10:15:05+05:30'),
        depth: { buy: [{ price: '86.2550', quantity: 10, orders: 2 }], sell: [{ price: '86.2600', quantity: 12, orders: 3 }] },
      },
    ]);

    feed = createKiteMarketFeed({ config, kafka, postgres: pool, redis, ticksTopic: marketTicksTopic(prefix), isMarketOpen: () => false, backoff: { initialMs: 100, maxMs: 800 }, sessionPollMs: 200, now: () => new Date(Date.now() + clockAheadMs) });
    controller = new AbortController();
    running = feed.start(controller.signal);
    await waitFor(async () => [INFY, NIFTY, USDINR].every((token) => ticksOf(token).some((tick) => tick.mode === 'full')), 'full ticks of all three');

    const equity = ticksOf(INFY).find((tick) => tick.mode === 'full')!;
    expect(equity).toEqual({
      instrumentToken: INFY, tradingsymbol: 'INFY', exchange: 'NSE', mode: 'full', tradable: true,
      lastPrice: 150_025, lastTradedQuantity: 7, averageTradedPrice: 149_995, volumeTraded: 1_234_567,
      totalBuyQuantity: 9_000, totalSellQuantity: 8_000,
      ohlc: { open: 149_000, high: 151_000, low: 148_550, close: 149_500 },
      change: 0.3512,
      lastTradeTime: '2026-03-02T10:15:01.000+05:30', exchangeTimestamp: '2026-03-02T10:15:02.000+05:30', oi: 0,
      depth: {
        buy: [0, 1, 2, 3, 4].map((i) => ({ price: 150_020 - 5 * i, quantity: 100 * (i + 1), orders: i + 1 })),
        sell: [0, 1, 2, 3, 4].map((i) => ({ price: 150_030 + 5 * i, quantity: 100 * (i + 1), orders: i + 1 })),
      },
    } satisfies Tick);

    expect(ticksOf(NIFTY).find((tick) => tick.mode === 'full')).toEqual({
      instrumentToken: NIFTY, tradingsymbol: 'NIFTY 50', exchange: 'NSE', mode: 'full', tradable: false,
      lastPrice: 2_340_685, lastTradedQuantity: 0, averageTradedPrice: 0, volumeTraded: 0, totalBuyQuantity: 0, totalSellQuantity: 0,
      ohlc: { open: 2_334_445, high: 2_344_195, low: 2_329_595, close: 2_326_485 },
      change: 0.6104,
      lastTradeTime: null, exchangeTimestamp: '2026-03-02T10:15:03.000+05:30', oi: 0,
      depth: { buy: [], sell: [] },
    } satisfies Tick);

    // CDS prices are 10^-7 rupee on the wire: 1/100000 paise here, exact.
    expect(ticksOf(USDINR).find((tick) => tick.mode === 'full')).toEqual({
      instrumentToken: USDINR, tradingsymbol: 'USDINR26MARFUT', exchange: 'CDS', mode: 'full', tradable: true, priceScale: 100_000,
      lastPrice: 862_575_000, lastTradedQuantity: 3, averageTradedPrice: 862_512_000, volumeTraded: 40_000,
      totalBuyQuantity: 1_500, totalSellQuantity: 1_700,
      ohlc: { open: 862_000_000, high: 863_000_000, low: 861_825_000, close: 862_125_000 },
      change: 0.0522,
      lastTradeTime: '2026-03-02T10:15:04.000+05:30', exchangeTimestamp: '2026-03-02T10:15:05.000+05:30', oi: 1_234_567,
      depth: { buy: [{ price: 862_550_000, quantity: 10, orders: 2 }], sell: [{ price: 862_600_000, quantity: 12, orders: 3 }] },
    } satisfies Tick);

    // Each instrument's last price, published for the stages that read prices rather than ticks.
    const lastPrices = await readLastPrices(redis, marketTicksTopic(prefix), [INFY, NIFTY, USDINR, RELIANCE]);
    expect(lastPrices[String(INFY)]).toEqual({ price: 150_025, at: '2026-03-02T10:15:02.000+05:30' });
    expect(lastPrices[String(USDINR)]).toEqual({ price: 862_575_000, at: '2026-03-02T10:15:05.000+05:30' });
    expect(Object.keys(lastPrices).sort()).toEqual([String(NIFTY), String(INFY), String(USDINR)].sort());

    expect(ticksOf(RELIANCE)).toHaveLength(0);
    expect(fake.ticker.subscriptions()).toEqual([{ [INFY]: 'full', [NIFTY]: 'full', [USDINR]: 'full' }]);
    expect(feed.health()).toMatchObject({ state: 'running' });
  });

  it('follows strategy changes live', async () => {
    await pool.query("update strategy_configurations set is_active = true where id = 'z2'");
    await waitFor(async () => ticksOf(RELIANCE).length > 0, 'ticks of a strategy switched on');
    await pool.query("update strategy_configurations set is_active = false where id = 'z2'");
    await waitFor(async () => !(String(RELIANCE) in (fake.ticker.subscriptions()[0] ?? {})), 'the unsubscribe of a strategy switched off');
  });

  it('reconnects after the server drops every connection and resubscribes in full mode', async () => {
    const opened = fake.ticker.stats().opened;
    expect(fake.ticker.dropAllConnections()).toBe(1);
    await waitFor(async () => fake.ticker.stats().opened > opened && fake.ticker.stats().open === 1, 'a new connection');
    await waitFor(async () => JSON.stringify(fake.ticker.subscriptions()) === JSON.stringify([{ [INFY]: 'full', [NIFTY]: 'full', [USDINR]: 'full' }]), 'the resubscription');
    const since = received.length;
    await waitFor(async () => ticksOf(USDINR, since).some((tick) => tick.mode === 'full'), 'full ticks after the reconnect');
    // One connection, never a stray second one counting against Kite's three.
    expect(fake.ticker.stats().open).toBe(1);
    expect(feed.health().state).toBe('running');
  });

  it('reports a refused token clearly, marks the session invalid, backs off without hammering, and resumes with a new session', async () => {
    fake.expireAccessTokens();
    await waitFor(async () => feed.health().needsAuth === true, 'the feed to report the refused token');
    // Waiting for a login is not a failure: the feed runs on, and says why.
    expect(feed.health().state).toBe('running');
    expect(feed.health().detail).toMatch(/TokenException|no valid Zerodha session/);
    // The refusal is recorded where every service reads the session from.
    await waitFor(async () => (await loadValidSession(pool, config, new Date())) === null, 'the refused session marked invalid');
    const refusedAfterReport = fake.ticker.stats().refused;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // The refused token is not tried again: no crash loop of handshakes while nobody logs in.
    expect(fake.ticker.stats().refused).toBe(refusedAfterReport);
    expect(fake.ticker.stats().open).toBe(0);

    await login();
    await waitFor(async () => feed.health().state === 'running' && !feed.health().needsAuth && fake.ticker.stats().open === 1, 'the feed back on the new session');
    const since = received.length;
    await waitFor(async () => ticksOf(INFY, since).length > 0, 'ticks on the new session');
    expect(JSON.stringify(feed.health())).not.toMatch(/[A-Za-z0-9]{32}/);
  });

  it('closes the ticker when the stored session passes 06:00 IST, though Kite still accepts it, and resumes once one is valid', async () => {
    const session = await loadValidSession(pool, config, new Date());
    expect(session).not.toBeNull();
    const refused = fake.ticker.stats().refused;
    // The feed's clock passes the session's expiry; nothing at Kite changes.
    clockAheadMs = session!.expiresAt.getTime() - Date.now() + 1_000;
    await waitFor(async () => feed.health().needsAuth === true && fake.ticker.stats().open === 0, 'the feed to stop using the expired session');
    expect(feed.health().state).toBe('running');
    expect(feed.health().detail).toContain('06:00 IST');
    expect(fake.ticker.stats().refused).toBe(refused);
    // Back to a time the session is valid (as after a new login): the feed connects again.
    clockAheadMs = 0;
    await waitFor(async () => !feed.health().needsAuth && fake.ticker.stats().open === 1, 'the feed back on a valid session');
  });

  it('stops cleanly when asked', async () => {
    controller.abort();
    await running;
    expect(feed.health().state).toBe('stopped');
    await waitFor(async () => fake.ticker.stats().open === 0, 'the connection to close');
  });
});
