// The strategy runner of a namespace: feeds every tick of market.ticks to the namespace's active
// strategies that trade its instrument and publishes their signals on {ns}.signals.raw, keyed
// `strategyId:instrumentToken`, caused by the tick (its correlation id carried).
//
// - Strategies come from `strategy_configurations` (catalog.ts), re-read in the background, so a
//   strategy added, edited or switched off takes effect without a restart. One with invalid
//   parameters is skipped with an error log naming it.
// - Each (strategy, instrument) keeps the strategy type's state; it is saved in Redis with the
//   batch that produced it (state.ts) and loaded at start, so a restart resumes exactly.
// - The position a strategy is told about is the runner's own sum of {ns}.orders.filled per
//   (strategy, instrument), part of the same committed state. Fills are the facts (exits placed by
//   the engine, rejected signals and partial fills included), and keeping them in the runner's
//   state keeps each batch a pure function of committed state: a replayed batch re-emits exactly
//   the signals it emitted before, with the same ids. Reading the portfolio manager's hot state
//   instead would let a replay see a position that moved on meanwhile.
// - Strategies are also told what is pending: each signal the runner emits is pending from that
//   moment, under the order id the engine will give it, until the risk manager rejects it
//   ({ns}.signals.rejected), its order fills ({ns}.orders.filled, by the fills' quantity), or its
//   order is rejected or cancelled ({ns}.orders.rejected / .cancelled). Pending orders are part of
//   the same committed state, so a replayed batch sees exactly what its first attempt saw.
// - A strategy's view waits while a market order of its strategy-instrument is in flight: the
//   view of a tick is taken at once (the strategy's state moves with every tick), but turned into
//   a signal only once that order has its outcome (filled, or rejected by risk or the engine), in
//   tick order. So each view is decided knowing what became of the orders of earlier ticks, and
//   the signals are a function of the ticks and those outcomes, not of how fast the outcomes
//   came back: after a stall or a crash a paper run emits what an uninterrupted one emits. Waiting
//   views are part of the committed state (deferred.ts). A limit order may rest
//   for the day, so it holds nothing: views go on, seeing it pending. Past MAX_DEFERRED_VIEWS
//   (a pipeline that stopped answering) the oldest view is decided without the outcome.
import { createEvent, type Envelope } from '../../core/domain/events';
import { derivedEventId, orderIdFor, riskDecisionId } from '../../core/domain/ids';
import { strategyInstrumentKey, stageInputs } from '../../core/domain/topics';
import type { ConsumedEvent } from '../../core/kafka/consumer';
import type { EventMessage, EventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { processOnce } from '../../core/pipeline/process-once';
import { STAGE_PARTITIONS_CONCURRENTLY } from '../../core/pipeline/serial';
import { StageLock } from '../../core/pipeline/stage-lock';
import { runStageLoop, type StageDeps } from '../../core/pipeline/stage';
import { HealthTracker, type StreamingService } from '../../core/service';
import { StrategyCatalog, type InvalidStrategy, type RunnableStrategy, type StrategyChanges, type StrategySet } from './catalog';
import { RunnerState, STRATEGY_RUNNER, stateField, strategyOfField, type DeferredView, type RunnerBatch } from './state';

export { STRATEGY_RUNNER } from './state';

export type StrategyRunnerDeps = StageDeps<'strategies'>;

export interface StrategyRunnerService extends StreamingService {
  /** The strategies running now, and those skipped for an invalid configuration. */
  strategies(): { active: string[]; invalid: InvalidStrategy[] };
}

type Input = 'tick_received' | 'order_filled' | 'signal_rejected' | 'order_rejected' | 'order_cancelled';

/**
 * Most views of one strategy-instrument that wait for an order's outcome. An outcome comes within
 * a round trip through risk and engine; a hundred views is a stopped pipeline, not a slow one.
 */
export const MAX_DEFERRED_VIEWS = 100;

/** The order the trading engine places for a signal: through the risk manager's decision on it. */
const orderOfSignal = (signalEventId: string) => orderIdFor(riskDecisionId(signalEventId));

export function createStrategyRunnerService(deps: StrategyRunnerDeps): StrategyRunnerService {
  const { namespace, redis, topics } = deps;
  const now = deps.now ?? (() => new Date());
  const health = new HealthTracker();
  const log = getLogger('trading').child({ service: STRATEGY_RUNNER, namespace });
  const catalog = new StrategyCatalog(deps.postgres, namespace, log);
  /** Strategies whose saved state must be dropped with the next batch (see RunnerState.begin). */
  const pendingResets = new Set<string>();
  let state: RunnerState | undefined;
  /** Strategies whose onTick threw, logged once each until the catalog changes. */
  const failing = new Set<string>();
  /** Fields whose views overflowed MAX_DEFERRED_VIEWS, warned about once until released. */
  const overflowing = new Set<string>();
  const loadState = async () => {
    state = await RunnerState.load(redis, namespace, (field, error) =>
      log.warn({ field, err: error }, 'unreadable saved strategy state; that strategy-instrument starts afresh'),
    );
  };
  /** The strategies' state moves one batch at a time, across every instance of the runner. */
  const serial = new StageLock({ redis, namespace, stage: STRATEGY_RUNNER, reload: loadState });

  const describeSet = (set: StrategySet) =>
    `${set.strategies.length} strategies running${set.invalid.length > 0 ? `, ${set.invalid.length} skipped as invalid` : ''}`;

  function noteChanges(changes: StrategyChanges): void {
    for (const id of [...changes.added, ...changes.removed]) pendingResets.add(id);
    const { added, removed, changed } = changes;
    if (added.length + removed.length + changed.length === 0) return;
    failing.clear();
    log.info({ added, removed, changed }, 'strategies reloaded');
    if (health.snapshot().state === 'running') health.setState('running', describeSet(catalog.current()));
  }


  /** Turns a view into its signal (or none) with what the field holds and has pending now. */
  function decide(entry: RunnableStrategy, field: string, { tick, view }: DeferredView, batch: RunnerBatch, outputs: EventMessage[]): void {
    const pending = batch.pendingOf(field);
    const signal = entry.strategy.signalFor(view, tick, { position: batch.positionOf(field), pendingBuy: pending.buy, pendingSell: pending.sell });
    if (!signal) return;
    const envelope = createEvent({ type: 'signal_generated', source: STRATEGY_RUNNER, namespace, data: signal, cause: tick, id: derivedEventId(tick.id, entry.id), now: now() });
    batch.signalEmitted(orderOfSignal(envelope.id), { field, side: signal.side, quantity: signal.quantity, signalId: envelope.id, holdsViews: signal.orderType === 'MARKET' });
    outputs.push({ topic: topics.signalsRaw, key: strategyInstrumentKey(signal.strategyId, signal.instrumentToken), envelope });
  }

  /** A view is decided at once unless a market order of its field is in flight (see the header). */
  function takeView(entry: RunnableStrategy, field: string, taken: DeferredView, batch: RunnerBatch, outputs: EventMessage[]): void {
    if (batch.deferredOf(field).length === 0 && batch.pendingOf(field).holding === 0) return decide(entry, field, taken, batch, outputs);
    batch.defer(field, taken);
    const queue = batch.deferredOf(field);
    if (queue.length <= MAX_DEFERRED_VIEWS) return;
    // The outcome is not coming (the engine stopped, say): the oldest view is decided without it,
    // with its order still pending, rather than keeping views without bound.
    if (!overflowing.has(field)) log.warn({ field, waiting: queue.length }, `views of ${field} waited for an order's outcome past ${MAX_DEFERRED_VIEWS}; deciding the oldest without it`);
    overflowing.add(field);
    batch.consumeDeferred(field, 1);
    decide(entry, field, queue[0]!, batch, outputs);
  }

  /** The field's order has its outcome: its waiting views are decided in order, until one places a market order again. */
  function release(field: string | undefined, set: StrategySet, batch: RunnerBatch, outputs: EventMessage[]): void {
    if (field === undefined) return;
    const queue = batch.deferredOf(field);
    if (queue.length === 0 || batch.pendingOf(field).holding > 0) return;
    overflowing.delete(field);
    const strategyId = strategyOfField(field);
    const entry = set.strategies.find((running) => running.id === strategyId);
    // A strategy switched off meanwhile takes its views with it.
    let decided = entry ? 0 : queue.length;
    while (entry && decided < queue.length && batch.pendingOf(field).holding === 0) {
      decide(entry, field, queue[decided]!, batch, outputs);
      decided += 1;
    }
    batch.consumeDeferred(field, decided);
  }

  function runTick(tick: Envelope<'tick_received'>, set: StrategySet, batch: RunnerBatch, outputs: EventMessage[]): void {
    const strategies = set.byInstrument.get(tick.data.instrumentToken);
    if (!strategies) return;
    for (const entry of strategies) {
      const { id, strategy, fingerprint } = entry;
      const field = stateField(id, tick.data.instrumentToken);
      let step;
      try {
        step = strategy.view(batch.stateOf(field, id, fingerprint), tick.data);
      } catch (error) {
        // A strategy that throws must not stop the others: it skips this tick, state unchanged.
        if (!failing.has(id)) log.error({ err: error, strategyId: id, tickId: tick.id }, `strategy ${id} failed on a tick`);
        failing.add(id);
        continue;
      }
      batch.setState(field, fingerprint, step.state);
      if (!step.view) continue;
      const { instrumentToken, tradingsymbol, lastPrice } = tick.data;
      takeView(entry, field, { tick: { id: tick.id, correlationId: tick.correlationId, instrumentToken, tradingsymbol, lastPrice }, view: step.view }, batch, outputs);
    }
  }

  function applyEvent(envelope: Envelope<Input>, set: StrategySet, batch: RunnerBatch, outputs: EventMessage[]): void {
    switch (envelope.type) {
      case 'tick_received':
        return runTick(envelope as Envelope<'tick_received'>, set, batch, outputs);
      case 'order_filled': {
        const fill = (envelope as Envelope<'order_filled'>).data;
        const field = stateField(fill.strategyId, fill.instrumentToken);
        batch.orderFilled(fill.orderId, field, fill.side, fill.quantity, fill.remainingQuantity);
        return release(field, set, batch, outputs);
      }
      case 'signal_rejected':
        // Caused by the raw signal; without a cause it names no signal of ours.
        if (envelope.causationId) release(batch.orderEnded(orderOfSignal(envelope.causationId)), set, batch, outputs);
        return;
      case 'order_rejected':
      case 'order_cancelled':
        return release(batch.orderEnded((envelope as Envelope<'order_rejected' | 'order_cancelled'>).data.orderId), set, batch, outputs);
    }
  }

  async function handleBatch(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    let batch: RunnerBatch | undefined;
    let signals = 0;
    // Read inside the critical section: a batch that ran meanwhile may have done the resets.
    let resets = new Set<string>();
    await processOnce({
      redis,
      namespace,
      stage: STRATEGY_RUNNER,
      producer,
      events,
      serial,
      apply: (fresh) => {
        const set = catalog.current();
        resets = new Set(pendingResets);
        // Inside the critical section: the state as the last batch of any instance left it.
        batch = state!.begin(resets);
        const outputs: EventMessage[] = [];
        for (const { envelope } of fresh) applyEvent(envelope, set, batch, outputs);
        signals = outputs.length;
        const working = batch;
        return { outputs, persist: (multi) => working.persist(multi) };
      },
      committed: () => {
        batch!.commit();
        for (const id of resets) pendingResets.delete(id);
      },
    });
    if (signals > 0) log.debug({ signals }, 'signals emitted');
    health.recordProcessed(events.length);
  }

  return {
    name: STRATEGY_RUNNER,
    health: () => health.snapshot(),
    strategies: () => {
      const set = catalog.current();
      return { active: set.strategies.map((s) => s.id), invalid: [...set.invalid] };
    },
    async start(signal) {
      await catalog.refresh();
      await loadState();
      log.info({ strategies: catalog.current().strategies.map((s) => s.id), saved: state!.size }, 'strategy runner starting');
      await runStageLoop<Input>({
        kafka: deps.kafka,
        groupId: deps.groupId,
        subscriptions: stageInputs(namespace, topics, deps.ticksTopic)['strategy-runner'],
        fromBeginning: deps.fromBeginning,
        partitionsConcurrently: STAGE_PARTITIONS_CONCURRENTLY,
        signal,
        health,
        log,
        handleBatch,
        periodic: {
          everyMs: deps.config.strategies.refreshIntervalMs,
          what: 're-read strategy_configurations (keeping the strategies loaded)',
          run: async () => noteChanges(await catalog.refresh()),
        },
      }).finally(() => serial.close());
    },
  };
}
