// The zerodha trading engine killed with SIGKILL in the worst place: right after Kite answered the
// placement of an order, before the engine committed anything of it (state, dedup marks, offsets).
// The engine runs in a child process (test/fixtures/pipeline-process.ts) against the fake Kite
// through the real kiteconnect client, with real Kafka, Postgres and Redis, and the portfolio
// manager in this process. After a restart the signal is processed again: the order must be found
// at Kite by its tag rather than placed twice, reconciliation at start must not adopt it as a
// position of unknown origin, and its fill must be booked exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiteTagFor } from '../core/broker/kite-order-model';
import type { Envelope } from '../core/domain/events';
import { paise } from '../core/domain/money';
import { consumerGroup } from '../core/domain/namespace';
import { RECONCILED_STRATEGY } from '../core/domain/trading/portfolio';
import { makeSignal, makeValidated } from '../core/domain/trading/testing';
import { configureLogging } from '../core/logging';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { brokerStateKey, orderIdFor } from '../services/trading-engine/service';
import type { KiteTestStack, ZerodhaTopics } from './support/kite';
import { startKiteServiceStack, type KiteServiceStack } from './support/kite-services';
import { waitFor } from './support/temporal';
import { waitConsumed } from './support/topics';

const INFY = 408065;
const PRICE = 150_025;
let services: KiteServiceStack;
let stack: KiteTestStack;
let bus: ZerodhaTopics;
let redis: Redis;
let prefix: string;
const children: ChildProcess[] = [];

function startEngine(extraEnv: Record<string, string> = {}): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/pipeline-process.ts', import.meta.url).pathname], {
    env: { ...process.env, ...stack.env, TEST_TOPIC_PREFIX: prefix, PIPELINE_NAMESPACE: 'zerodha', PIPELINE_SERVICES: 'trading-engine', LOG_LEVEL: 'error', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return { child, exited: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))) };
}

beforeAll(async () => {
  configureLogging({ level: 'silent', console: false });
  services = await startKiteServiceStack({ apiKey: 'crashkey01', apiSecret: 'crashsecret0123456789', instruments: [INFY], prices: { INFY: PRICE } });
  ({ stack, bus, redis, prefix } = services);
  // The engine runs in a child process, so that it can be killed; the portfolio manager here.
  services.start('portfolio-manager');
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await services?.close();
});

describe('zerodha trading engine killed between placing an order and committing it', () => {
  it('places the order once and books its fill once after a restart', { timeout: 120_000 }, async () => {
    const crashing = startEngine({ CRASH_AFTER_KITE_PLACEMENTS: '1' });
    const validated = makeValidated(makeSignal({ strategyId: 'live-1', instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity: 4, referencePrice: paise(150_000) }));
    const orderId = orderIdFor((await bus.sendValidated(validated)).id);
    const atKite = () => stack.fake.orders.listOrders().filter((order) => order.tag === kiteTagFor(orderId));

    expect(await crashing.exited).toBe('SIGKILL');
    // Placed (and, a market order, filled at Kite), but nothing of it committed here.
    expect(atKite()).toHaveLength(1);
    // The state reconciliation wrote at start, without the order.
    const saved = JSON.parse((await redis.get(brokerStateKey('zerodha'))) ?? '{"open":{}}') as { open: Record<string, unknown> };
    expect(saved.open[orderId]).toBeUndefined();

    const restarted = startEngine();
    const fillsOf = (id: string) => bus.events(bus.topics.ordersFilled).filter((e) => (e.data as { orderId: string }).orderId === id) as Envelope<'order_filled'>[];
    await waitFor(async () => fillsOf(orderId).length > 0, 'the fill after the restart', 60_000);
    // Everything the engine produced is consumed by the portfolio manager before counting.
    const admin = bus.kafka.admin();
    await admin.connect();
    try {
      await waitConsumed(admin, `${prefix}${consumerGroup('zerodha', 'trading-engine')}`, [bus.topics.signalsValidated]);
      await waitConsumed(admin, `${prefix}${consumerGroup('zerodha', 'portfolio-manager')}`, [bus.topics.ordersFilled]);
    } finally {
      await admin.disconnect();
    }

    expect(atKite()).toHaveLength(1);
    const fills = bus.events(bus.topics.ordersFilled);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.data).toMatchObject({ orderId, quantity: 4, price: PRICE, brokerOrderId: atKite()[0]!.orderId });
    // Reconciliation at the restart saw the order by its tag: nothing adopted as of unknown origin.
    expect(fills.filter((e) => (e.data as { strategyId: string }).strategyId === RECONCILED_STRATEGY)).toHaveLength(0);
    const { rows } = await stack.pool.query<{ count: number }>(`select count(*)::int as count from fills where namespace = 'zerodha'`);
    expect(rows[0]!.count).toBe(1);
    const books = await loadBooks(redis, 'zerodha');
    expect([...books.keys()]).toEqual(['live-1']);
    expect(currentView(books.get('live-1')!).positions).toMatchObject([{ instrumentToken: INFY, quantity: 4, averagePrice: PRICE }]);

    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(null);
  });
});
