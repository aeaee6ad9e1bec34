// The trading engine of a namespace: validated signals become orders at the broker, and in the
// paper namespace each tick gives the simulated broker the chance to fill them (Zerodha's engine
// reads no ticks: the venue fills, see stageInputs). One consumer reads the inputs; every batch goes
// through processOnce, so the broker state (Redis), the order and fill rows (Postgres) and the
// order events move together and a replay changes nothing.
//
//   {ns}.signals.validated --submit--> order_submitted | order_rejected (e.g. insufficient cash)
//                                      [paper MARKET entry: then order_filled | order_rejected, exits]
//   market.ticks ----------onTick----> order_filled (charges included) | order_rejected | order_cancelled
//                                      | order_submitted (exits, square-offs)
//
// Reports are reports whichever call made them: an order_filled from `submit` becomes a fills row
// and an event exactly as one from `onTick` (its cause is then the signal).
//
// The kill switch (core/redis/kill-switch.ts) is read once per batch as processOnce's context:
// while it is on, no order may add exposure (a validated signal that would is rejected, a resting
// entry is cut to what it would close, and cancelled if that is nothing); exits, square-offs and
// entries that reduce a position still go through.
//
// Determinism: the order id is derived from the signal event's id, and every output's id from
// that order's id plus what it is (`order_filled:<fill id>`, `order_cancelled:<order id>`...), so
// a batch recomputed after a crash re-emits the same ids and the next stage drops duplicates.
// Times are event times: an order is submitted at its validated signal's time and fills at its
// tick's time (the tick envelope's timestamp: the same clock as the signal's, in milliseconds;
// Kite's exchange timestamps are whole seconds and may be missing), or at its signal's time when
// it fills at submission. The paper broker simulates in event time: without latency a MARKET
// entry fills at submission, at its signal's reference price (the tick the strategy saw) with
// slippage jitter seeded by its order id, so its fill depends on the feed and the configuration
// alone, not on how soon a next tick was processed (a stall, a crash and its retry, load). Orders
// that rest (LIMIT, stops, exits, square-offs, MARKET orders under a latency) fill on the first
// tick of their instrument processed while they are live.
// Outputs carry the causing tick or signal as causationId and the trade's correlationId.
//
// Ticks are taken in batches: after a delivery of ticks the engine leaves them out of its fetches
// for TICK_PACE_MS (the consumer's `pace`), while validated signals are fetched as they come. A
// tick only fills, triggers or expires resting orders, in event time, and an order ignores the
// ticks stamped before its submission, so a tick handled a little later changes when a fill is
// reported, not what it is. Taken as they came, ticks were most of the engine's deliveries (one
// per one or two ticks at 200 ticks/s), each a turn of the lock, Redis round trips and a commit
// in front of the signals a trade waits on.
//
// Its broker state covers every instrument and strategy: instances of the engine (INSTANCES__*)
// take turns through the stage lock (core/pipeline/stage-lock.ts), each reloading the state another
// instance committed meanwhile.
//
// A live venue (Kite) behind the same port: `submit` places the order at Kite and only records it;
// what Kite does with it (accepted, filled, rejected, cancelled) comes from `pollUpdates`, which
// the engine runs between batches, under the same lock, committing like a batch does: Postgres
// rows, then the events, then the broker state in Redis. Its event ids derive from the order id
// and the fill's cumulative quantity, so an update seen again after a crash re-emits the same ids.
// Placing an order is not idempotent, so the adapter makes it so (see kite-broker-adapter.ts): the
// order id gives Kite's `tag`; an intent is written to Redis before the order is placed, and a
// signal whose intent exists (processed before, the batch not committed) is looked up by its tag
// in Kite's order book instead of being placed again. At start the adapter reconciles with the
// venue (which wins); while Kite refuses the session the batch waits (orders queue, none is lost),
// the health says so (`broker.needsAuth`), and the engine keeps beating instead of crash-looping.
import { createEvent, type Envelope, type EventType } from '../../core/domain/events';
import { derivedEventId, orderIdFor } from '../../core/domain/ids';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { strategyInstrumentKey, stageInputs } from '../../core/domain/topics';
import type { ConsumedEvent } from '../../core/kafka/consumer';
import type { EventMessage, EventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { getValue } from '../../core/pipeline/batch-claim';
import { processOnce } from '../../core/pipeline/process-once';
import { Serial, STAGE_PARTITIONS_CONCURRENTLY } from '../../core/pipeline/serial';
import { StageLock } from '../../core/pipeline/stage-lock';
import { runStageLoop, type StageDeps } from '../../core/pipeline/stage';
import { namespacedKey } from '../../core/redis/keys';
import { killSwitchRead, parseKillSwitch, type KillSwitchStatus } from '../../core/redis/kill-switch';
import { HealthTracker, type StreamingService } from '../../core/service';
import { createEventProducer } from '../../core/kafka/producer';
import type { ServiceHealth } from '../../core/service';
import type { BrokerAdapter, BrokerStatus, BrokerStep, ExecutionReport, TradingContext } from './broker';
import { createPaperBrokerAdapter, paperSettings, type PaperAccountState } from './paper-broker-adapter';
import { recordReports } from './store';

export const TRADING_ENGINE = 'trading-engine';

/** How long the engine leaves the ticks out of its fetches after a delivery of them (see the header). */
export const TICK_PACE_MS = 20;

/** The Redis key of the engine's broker state: one JSON document (see the broker adapter). */
export const brokerStateKey = (namespace: BrokerNamespace) => namespacedKey(namespace, TRADING_ENGINE, 'broker');

export { orderIdFor } from '../../core/domain/ids';

export interface TradingEngineDeps<S = PaperAccountState> extends StageDeps {
  /** Where orders go. Omitted: the paper broker, configured by PAPER__* (paper namespace only). */
  broker?: BrokerAdapter<S>;
}

type Input = 'signal_validated' | 'tick_received';

export interface TradingEngineHealth extends ServiceHealth {
  /** A live venue's condition: paused, needs a new login, what reconciliation found. */
  readonly broker?: BrokerStatus;
}

/** The reason orders are refused or cancelled with while the kill switch is on; null when off. */
export function haltedReason(killSwitch: KillSwitchStatus): string | null {
  if (!killSwitch.active) return null;
  return `kill switch on: new exposure halted${killSwitch.reason ? ` (${killSwitch.reason})` : ''}`;
}

const isOfType = <T extends EventType>(envelope: Envelope, type: T): envelope is Envelope<T> => envelope.type === type;

interface CausedReport {
  report: ExecutionReport;
  cause: Envelope;
}

export function createTradingEngineService<S = PaperAccountState>(deps: TradingEngineDeps<S>): StreamingService {
  const { namespace, topics, redis } = deps;
  if (!deps.broker && namespace !== 'paper') {
    throw new Error(`the ${namespace} trading engine needs a broker adapter; only paper orders are simulated`);
  }
  // Without an adapter S is its default, the paper account.
  const broker = deps.broker ?? (createPaperBrokerAdapter(paperSettings(deps.config.paper)) as unknown as BrokerAdapter<S>);
  const now = deps.now ?? (() => new Date());
  const health = new HealthTracker();
  const log = getLogger('trading').child({ service: TRADING_ENGINE, namespace, broker: broker.kind });
  const stateKey = brokerStateKey(namespace);
  let committed: S = broker.initialState();
  const loadCommitted = async (): Promise<boolean> => {
    const saved = await redis.get(stateKey);
    try {
      committed = saved === null ? broker.initialState() : broker.restore(JSON.parse(saved));
    } catch (error) {
      throw new Error(`${(error as Error).message} (Redis key ${stateKey})`, { cause: error });
    }
    return saved !== null;
  };
  /** The broker state moves one batch at a time, across every instance of the engine. */
  const serial = new StageLock({ redis, namespace, stage: TRADING_ENGINE, reload: async () => void (await loadCommitted()) });

  // Batches and venue updates take turns: both move `committed` forward. A second Serial, since
  // processOnce takes `serial` inside a batch.
  const turns = new Serial();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => turns.run(work);

  async function step(state: S, fresh: readonly ConsumedEvent<Input>[], context: TradingContext): Promise<{ state: S; reports: CausedReport[] }> {
    const reports: CausedReport[] = [];
    for (const { envelope } of fresh) {
      let result: BrokerStep<S> | Promise<BrokerStep<S>>;
      if (isOfType(envelope, 'signal_validated')) {
        result = broker.submit(
          state,
          {
            validated: envelope.data,
            orderId: orderIdFor(envelope.id),
            submittedAt: envelope.ts,
            correlationId: envelope.correlationId,
          },
          context,
        );
      } else if (isOfType(envelope, 'tick_received')) {
        if (!broker.watches(state, envelope.data.instrumentToken, envelope.ts)) continue;
        result = broker.onTick(state, envelope.data, envelope.ts, context);
      } else {
        continue;
      }
      // The paper broker answers synchronously: no extra turn of the event loop per tick.
      const done = result instanceof Promise ? await result : result;
      state = done.state;
      for (const report of done.reports) reports.push({ report, cause: envelope });
    }
    return { state, reports };
  }

  function toMessage({ report, cause }: CausedReport, at: Date): EventMessage {
    const base = {
      source: TRADING_ENGINE,
      namespace,
      cause: { id: cause.id, correlationId: report.order.correlationId },
      now: at,
    };
    const key = strategyInstrumentKey(report.data.strategyId, report.data.instrumentToken);
    switch (report.type) {
      case 'order_submitted':
        return {
          topic: topics.ordersSubmitted,
          key,
          envelope: createEvent({ ...base, type: report.type, data: report.data, id: derivedEventId(report.originId, `order_submitted:${report.data.orderId}`) }),
        };
      case 'order_filled':
        return {
          topic: topics.ordersFilled,
          key,
          envelope: createEvent({ ...base, type: report.type, data: report.data, id: derivedEventId(report.originId, `order_filled:${report.data.fillId}`) }),
        };
      case 'order_rejected':
        return {
          topic: topics.ordersRejected,
          key,
          envelope: createEvent({ ...base, type: report.type, data: report.data, id: derivedEventId(report.originId, `order_rejected:${report.data.orderId}`) }),
        };
      case 'order_cancelled': {
        // A cut (the order stays OPEN, smaller) is named by the quantity it leaves, which only
        // goes down, so each cut of an order has an id of its own.
        const what = report.order.status === 'OPEN' ? `${report.data.orderId}:${report.order.quantity}` : report.data.orderId;
        return {
          topic: topics.ordersCancelled,
          key,
          envelope: createEvent({ ...base, type: report.type, data: report.data, id: derivedEventId(report.originId, `order_cancelled:${what}`) }),
        };
      }
    }
  }

  function logReports(messages: readonly EventMessage[]): void {
    for (const { envelope } of messages) {
      const data = envelope.data as ExecutionReport['data'];
      const fields = { eventId: envelope.id, correlationId: envelope.correlationId, orderId: data.orderId, strategyId: data.strategyId };
      if (isOfType(envelope, 'order_rejected')) log.info({ ...fields, reason: envelope.data.reason }, 'order rejected');
      else if (isOfType(envelope, 'order_cancelled')) log.info({ ...fields, reason: envelope.data.reason }, 'order cancelled');
      else if (isOfType(envelope, 'order_filled')) {
        const { quantity, price, remainingQuantity, charges } = envelope.data;
        log.info({ ...fields, quantity, price, remainingQuantity, charges: charges.total }, 'order filled');
      } else log.info({ ...fields, side: data.side, quantity: data.quantity }, 'order submitted');
    }
  }

  const handleBatch = (events: ConsumedEvent<Input>[], producer: EventProducer) => exclusive(() => handleBatchNow(events, producer));

  async function handleBatchNow(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    let next = committed;
    let messages: EventMessage[] = [];
    const outcome = await processOnce({
      redis,
      namespace,
      stage: TRADING_ENGINE,
      producer,
      events,
      // The kill switch, read once per batch and written ahead: a replay decides with what the
      // first attempt read.
      context: { reads: [killSwitchRead(namespace)], parse: ([killSwitch]) => parseKillSwitch(getValue(killSwitch)) },
      serial,
      apply: async (fresh, killSwitch) => {
        // Always from the committed state: a retried batch must not see its own failed attempt.
        const result = await step(committed, fresh, { halted: haltedReason(killSwitch) });
        next = result.state;
        const at = now();
        messages = result.reports.map((caused) => toMessage(caused, at));
        const reports = result.reports.map(({ report }) => report);
        return {
          outputs: messages,
          durable: () => recordReports(deps.postgres, namespace, reports, messages.map((message) => message.envelope.id)),
          persist: next === committed ? undefined : (multi) => multi.set(stateKey, JSON.stringify(next)),
        };
      },
      committed: () => (committed = next),
    });
    if (outcome.fresh > 0) logReports(messages);
    health.recordProcessed(events.length);
  }

  /**
   * Commits what the venue reported outside a batch (updates, reconciliation), in a batch's order:
   * rows, events, state. A crash before the state is written reports the same ids again.
   */
  async function commitVenueStep(result: BrokerStep<S>, producer: EventProducer, why: string): Promise<void> {
    if (result.reports.length > 0) {
      const at = now();
      const messages = result.reports.map((report) => {
        // The cause of a venue update is the order itself: its id family.
        const cause = { id: report.originId, correlationId: report.order.correlationId } as Envelope;
        return toMessage({ report, cause }, at);
      });
      await recordReports(deps.postgres, namespace, result.reports, messages.map((message) => message.envelope.id));
      await producer.sendBatch(messages);
      logReports(messages);
      log.debug({ why, reports: messages.length }, 'venue reports committed');
    }
    if (result.state !== committed) {
      const results = await serial.multi().set(stateKey, JSON.stringify(result.state)).exec();
      if (!results || results.some(([error]) => error)) throw new Error(`committing the ${why} to ${stateKey} failed`);
      committed = result.state;
    }
  }

  async function followVenue(signal: AbortSignal, producer: EventProducer): Promise<void> {
    const poll = broker.pollUpdates?.bind(broker);
    if (!poll) return;
    const every = broker.pollIntervalMs ?? 1000;
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, every));
      if (signal.aborted) break;
      try {
        await exclusive(() => serial.run(async () => commitVenueStep(await poll(committed), producer, 'order updates')));
      } catch (error) {
        if (!signal.aborted) log.warn({ err: error }, 'could not follow the orders at the venue; trying again');
      }
    }
  }

  return {
    name: TRADING_ENGINE,
    health: (): TradingEngineHealth => {
      const snapshot = health.snapshot();
      const status = broker.status?.();
      if (!status) return snapshot;
      return { ...snapshot, ...(status.detail ? { detail: status.detail } : {}), ...(status.needsAuth ? { needsAuth: true } : {}), broker: status };
    },
    async start(signal) {
      log.info({ resumed: await loadCommitted() }, 'trading engine starting');
      const live = broker.pollUpdates !== undefined || broker.reconcile !== undefined;
      const venueProducer = live ? createEventProducer(deps.kafka) : undefined;
      const onAbort = () => broker.close?.();
      signal.addEventListener('abort', onAbort, { once: true });
      // While a batch waits for a new session the loop does not go round: show it is alive.
      const beating = live ? setInterval(() => broker.status?.().paused && health.recordBeat(), 1000) : undefined;
      let following: Promise<void> = Promise.resolve();
      try {
        if (venueProducer) {
          await venueProducer.connect();
          const reconcile = broker.reconcile?.bind(broker);
          if (reconcile) {
            await serial.run(async () => {
              const reconciled = await reconcile(committed);
              if (reconciled.differences.length > 0) log.warn({ differences: reconciled.differences }, 'the venue differs from the local state; adopting the venue');
              await commitVenueStep(reconciled, venueProducer, 'reconciliation');
            });
          }
          following = followVenue(signal, venueProducer);
        }
        await runStage(signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (beating) clearInterval(beating);
        await following;
        await venueProducer?.disconnect();
        await serial.close();
      }
    },
  };

  async function runStage(signal: AbortSignal): Promise<void> {
      await runStageLoop<Input>({
        kafka: deps.kafka,
        groupId: deps.groupId,
        subscriptions: stageInputs(namespace, topics, deps.ticksTopic)['trading-engine'],
        fromBeginning: deps.fromBeginning,
        partitionsConcurrently: STAGE_PARTITIONS_CONCURRENTLY,
        pace: { topics: [deps.ticksTopic], everyMs: TICK_PACE_MS },
        signal,
        health,
        log,
        handleBatch,
      });
  }
}
