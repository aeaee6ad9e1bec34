// Two instances of the trading engine, each in a process of its own, share the engine's consumer
// group: Kafka spreads the signal and tick partitions between them, and they take turns on the
// one broker state through the stage lock (core/pipeline/stage-lock.ts). A steady feed of ticks
// for six instruments runs; one instance kills itself with SIGKILL right after a batch of its
// fills reached the broker, before it committed (test/fixtures/pipeline-process.ts), and is not
// started again. The survivor must take its partitions while the feed goes on, and in the end
// every validated signal has its order, every fill is booked once (Postgres, the engine's
// positions, the portfolio books), and the fills the dead instance had sent come again with
// the same ids.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../core/domain/events';
import { orderIdFor } from '../core/domain/ids';
import { consumerGroup } from '../core/domain/namespace';
import { SEED_INSTRUMENTS } from '../core/postgres/seed-data';
import { makeTick } from '../core/domain/trading/testing';
import { currentView } from '../services/portfolio-manager/book';
import { loadBooks } from '../services/portfolio-manager/store';
import { brokerStateKey } from '../services/trading-engine/service';
import type { PaperAccountState } from '../services/trading-engine/paper-broker-adapter';
import { createPipelineHarness, type PipelineHarness, type StrategyRow } from './support/pipeline';
import { waitFor } from './support/temporal';

const INSTRUMENTS = SEED_INSTRUMENTS.slice(0, 6);
const STRATEGIES: StrategyRow[] = INSTRUMENTS.map((instrument) => ({
  id: `demo-${instrument.tradingsymbol.toLowerCase()}`,
  strategyType: 'low_frequency_demo',
  instruments: [instrument.instrumentToken],
  parameters: { everyTicks: 2, quantity: 5 },
}));
const ROUND_MS = 150;
/** Rounds of ticks sent after the survivor is the group's only member. */
const ROUNDS_AFTER_TAKEOVER = 10;
/** A wave around each instrument's price, on the 5-paise grid. */
const priceAt = (reference: number, round: number) => reference + Math.round((reference * 0.002 * Math.sin(round / 2)) / 5) * 5;

/** Signed quantity per `strategyId:instrumentToken`, without zeros. */
function netted(entries: Iterable<[string, number]>): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [key, quantity] of entries) totals[key] = (totals[key] ?? 0) + quantity;
  return Object.fromEntries(Object.entries(totals).filter(([, quantity]) => quantity !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

describe('two instances of the trading engine, one killed with SIGKILL mid-stream', () => {
  let pipeline: PipelineHarness | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await pipeline?.close();
  });

  const startEngine = (harness: PipelineHarness, extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/pipeline-process.ts', import.meta.url).pathname], {
      env: { ...process.env, ...harness.env, LOG_LEVEL: 'error', PIPELINE_SERVICES: 'trading-engine', ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };

  it('the survivor takes the partitions: nothing lost, nothing booked twice', { timeout: 300_000 }, async () => {
    pipeline = await createPipelineHarness({ strategies: STRATEGIES });
    const harness = pipeline;
    const group = `${harness.prefix}${consumerGroup('paper', 'trading-engine')}`;
    const admin = harness.kafka.admin();
    await admin.connect();
    const members = async () => (await admin.describeGroups([group])).groups[0]!;
    try {
      await harness.startServices(['portfolio-manager', 'risk-manager', 'strategy-runner']);
      const survivor = startEngine(harness);
      const doomed = startEngine(harness, { CRASH_AFTER_FILL_BATCHES: '2' });
      await waitFor(async () => {
        const described = await members();
        return described.state === 'Stable' && described.members.length === 2;
      }, 'both engine instances in the group', 90_000);

      let round = 0;
      const sendRound = async () => {
        await harness.sendTicks(
          INSTRUMENTS.map((instrument) =>
            makeTick(priceAt(instrument.referencePricePaise, round), { instrumentToken: instrument.instrumentToken, tradingsymbol: instrument.tradingsymbol }),
          ),
        );
        round += 1;
        await sleep(ROUND_MS);
      };
      // The feed goes on through the crash and the rebalance that follows it.
      await waitFor(async () => {
        await sendRound();
        if (doomed.signalCode === null) return false;
        const described = await members();
        return described.state === 'Stable' && described.members.length === 1;
      }, 'the killed instance gone and its partitions reassigned', 180_000);
      expect(doomed.signalCode).toBe('SIGKILL');
      const takenOverAt = round;
      for (let i = 0; i < ROUNDS_AFTER_TAKEOVER; i += 1) await sendRound();
      await harness.waitForQuiet(120_000);
      expect(survivor.exitCode).toBeNull();
      expect(takenOverAt).toBeGreaterThan(0);

      const unique = <T extends Envelope>(events: T[]) => [...new Map(events.map((event) => [event.id, event])).values()];
      const validated = unique(harness.read(harness.topics.signalsValidated) as Envelope<'signal_validated'>[]);
      const fillEvents = harness.read(harness.topics.ordersFilled) as Envelope<'order_filled'>[];
      const fills = unique(fillEvents);
      expect(validated.length).toBeGreaterThan(20); // the scenario really trades
      // The dead instance's fills were sent again by the survivor, with the same ids.
      expect(fillEvents.length).toBeGreaterThan(fills.length);

      // Nothing lost: every validated signal has its order.
      const { rows: orders } = await harness.pool.query<{ order_id: string; quantity: number; filled_quantity: number }>(
        `select order_id, quantity, filled_quantity from orders where namespace = 'paper'`,
      );
      const orderIds = new Set(orders.map((order) => order.order_id));
      expect(validated.filter((signal) => !orderIds.has(orderIdFor(signal.id)))).toEqual([]);

      // Nothing booked twice: one row per distinct fill, the rows and the events the same fills,
      // and no order filled beyond its quantity.
      const { rows: fillRows } = await harness.pool.query<{ event_id: string; order_id: string; quantity: number }>(
        `select event_id, order_id, quantity from fills where namespace = 'paper'`,
      );
      expect(fillRows.map((row) => row.event_id).sort()).toEqual(fills.map((fill) => fill.id).sort());
      const filledPerOrder = new Map<string, number>();
      for (const row of fillRows) filledPerOrder.set(row.order_id, (filledPerOrder.get(row.order_id) ?? 0) + row.quantity);
      for (const order of orders) {
        expect(filledPerOrder.get(order.order_id) ?? 0).toBe(order.filled_quantity);
        expect(order.filled_quantity).toBeLessThanOrEqual(order.quantity);
      }

      // The engine's broker state (written in turns by both instances) and the portfolio books
      // hold exactly the positions and the cash the distinct fills add up to.
      const expected = netted(
        fills.map(({ data }) => [`${data.strategyId}:${data.instrumentToken}`, data.side === 'BUY' ? data.quantity : -data.quantity]),
      );
      const startingCash = harness.config.paper.startingCashPaise;
      const expectedCash: Record<string, number> = {};
      for (const { data } of fills) {
        const value = data.price * data.quantity;
        expectedCash[data.strategyId] = (expectedCash[data.strategyId] ?? startingCash) + (data.side === 'BUY' ? -value : value) - data.charges.total;
      }
      expect(Object.keys(expectedCash).length).toBe(STRATEGIES.length); // every strategy traded
      const redis = new Redis(harness.config.redis.url);
      try {
        const engine = JSON.parse((await redis.get(brokerStateKey('paper')))!) as PaperAccountState;
        expect(netted(Object.values(engine.positions).map((p) => [`${p.strategyId}:${p.instrumentToken}`, p.quantity]))).toEqual(expected);
        expect(engine.cash).toEqual(expectedCash);
        const books = [...(await loadBooks(redis, 'paper')).values()].map(currentView);
        const booked = books.flatMap((book) => book.positions.map((p) => [`${book.strategyId}:${p.instrumentToken}`, p.quantity] as [string, number]));
        expect(netted(booked)).toEqual(expected);
        expect(Object.fromEntries(books.map((book) => [book.strategyId, book.cash]))).toEqual(expectedCash);
      } finally {
        redis.disconnect();
      }
      survivor.kill('SIGTERM');
      await new Promise((resolve) => survivor.once('exit', resolve));
    } finally {
      await admin.disconnect();
    }
  });
});
