// The risk manager of a namespace: every signal of {ns}.signals.raw is checked against every rule
// of core/domain/trading/risk and published, caused by the signal, either on
// {ns}.signals.validated (approved quantity and price) or on {ns}.signals.rejected (every rule's
// result and the failed ones).
//
// Inputs, one consumer: the signals; {ns}.orders.filled (positions), {ns}.orders.rejected
// and .cancelled (the end of pending orders) and {ns}.pnl.snapshots (the portfolio's positions and
// P&L, for the daily loss limit). Limits: RISK__* defaults with each strategy's `risk_limits` on
// top (limits.ts). The kill switch is a Redis key (core/redis/kill-switch.ts) read as the context
// of each batch of signals, so the replay of a batch repeats its decisions. The state (store.ts)
// is written with each batch and loaded at start, so counts, positions and pending orders survive
// a restart; daily figures roll over at the IST date of the events.
//
// Prices (price_band, and the approval price of market orders): in a live namespace, the last
// ones the market feed published (core/redis/last-prices.ts), read with the kill switch for each
// batch of signals (the stage does not consume market.ticks, whose every tick it would otherwise
// fetch and commit), so a signal that comes late is judged against the market as it is now. Paper
// is a simulation in event time: each signal is judged at the price of the tick it came from, as
// the paper engine fills it there, so a paper run decides the same however late its signals come.
import { stageInputs } from '../../core/domain/topics';
import type { Envelope } from '../../core/domain/events';
import type { RiskState } from '../../core/domain/trading/risk';
import type { ConsumedEvent } from '../../core/kafka/consumer';
import type { EventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { getValue, hmgetValues, type BatchContext } from '../../core/pipeline/batch-claim';
import { fillSequences } from '../../core/pipeline/fill-sequence';
import { processOnce } from '../../core/pipeline/process-once';
import { STAGE_PARTITIONS_CONCURRENTLY } from '../../core/pipeline/serial';
import { StageLock } from '../../core/pipeline/stage-lock';
import { runStageLoop, type StageDeps } from '../../core/pipeline/stage';
import { HealthTracker, type StreamingService } from '../../core/service';
import { decideBatch, RISK_MANAGER, type DecidedBatch, type RiskInput } from './decide';
import { killSwitchRead, parseKillSwitch, type KillSwitchStatus } from '../../core/redis/kill-switch';
import { configuredRiskLimits, RiskLimitsCatalog } from './limits';
import { lastPricesRead, parseLastPrices, type LastPrice } from '../../core/redis/last-prices';
import { loadRiskState, persistRiskState } from './store';

export { RISK_MANAGER } from './decide';

export type RiskManagerDeps = StageDeps<'risk' | 'strategies'>;

type Input = RiskInput['type'];

interface SignalContext {
  killSwitch: KillSwitchStatus;
  lastPrices: Record<string, LastPrice>;
}

export function createRiskManagerService(deps: RiskManagerDeps): StreamingService {
  const { namespace, redis, topics } = deps;
  const now = deps.now ?? (() => new Date());
  const health = new HealthTracker();
  const log = getLogger('trading').child({ service: RISK_MANAGER, namespace });
  const pricesAtSignal = namespace === 'paper';
  const limits = new RiskLimitsCatalog(deps.postgres, namespace, configuredRiskLimits(deps.config), log);
  let state: RiskState | undefined;
  /** State changes one batch at a time, across every instance of the stage. */
  const serial = new StageLock({
    redis,
    namespace,
    stage: RISK_MANAGER,
    reload: async () => void (state = await loadRiskState(redis, namespace, now().toISOString())),
  });


  /**
   * What a batch of signals is judged against besides the state: the kill switch, and the last
   * prices the feed published for the signals' instruments. Both are recorded with the batch, so
   * that its replay repeats its decisions.
   */
  function market(events: readonly ConsumedEvent<Input>[]): BatchContext<SignalContext> {
    const tokens = events.flatMap(({ envelope }) => (envelope.type === 'signal_generated' ? [(envelope as Envelope<'signal_generated'>).data.instrumentToken] : []));
    return {
      reads: [killSwitchRead(namespace), lastPricesRead(deps.ticksTopic, pricesAtSignal ? [] : tokens)],
      // From the values alone: a replay parses what its first attempt read, for its own signals.
      parse: ([killSwitch, lastPrices]) => ({ killSwitch: parseKillSwitch(getValue(killSwitch)), lastPrices: parseLastPrices(hmgetValues(lastPrices)) }),
    };
  }

  async function decide(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    const decidedAt = now();
    // Only signals are judged; other batches keep the switch the state last recorded.
    const judging = events.some((event) => event.envelope.type === 'signal_generated');
    let decided: DecidedBatch | undefined;
    await processOnce({
      redis,
      namespace,
      stage: RISK_MANAGER,
      producer,
      events,
      ...(judging ? { context: market(events) } : {}),
      serial,
      apply: (fresh, market: SignalContext | undefined) => {
        // Inside the critical section: the state as the batches before this one left it.
        const committed = state!;
        const recorded: KillSwitchStatus = { ...committed.killSwitch, setAt: committed.killSwitch.changedAt };
        decided = decideBatch(
          { ...committed, lastTicks: market?.lastPrices ?? {} },
          fresh.map((event) => event.envelope as RiskInput),
          {
            namespace,
            topics,
            limitsOf: (id) => limits.limitsOf(id),
            now: decidedAt,
            killSwitch: market?.killSwitch ?? recorded,
            fillSequenceOf: fillSequences(fresh),
            pricesAtSignal,
          },
        );
        const next = decided.state;
        return { outputs: decided.outputs, persist: (multi) => persistRiskState(multi, namespace, next) };
      },
      committed: () => (state = decided!.state),
    });
    if (!decided) return;
    for (const decision of decided.decisions) {
      if (decision.approved) log.info({ signalId: decision.signalId, strategyId: decision.strategyId }, 'signal validated');
      else log.info({ signalId: decision.signalId, strategyId: decision.strategyId, failedRules: decision.failedRules }, 'signal rejected');
    }
  }

  async function handleBatch(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    await decide(events, producer);
    health.recordProcessed(events.length);
  }

  return {
    name: RISK_MANAGER,
    health: () => health.snapshot(),
    async start(signal) {
      await limits.refresh();
      state = await loadRiskState(redis, namespace, now().toISOString());
      log.info(
        { tradingDate: state.tradingDate, strategies: Object.keys(state.strategies).length, limits: limits.strategyCount },
        'risk manager starting',
      );
      await runStageLoop<Input>({
        kafka: deps.kafka,
        groupId: deps.groupId,
        subscriptions: stageInputs(namespace, topics, deps.ticksTopic)['risk-manager'],
        fromBeginning: deps.fromBeginning,
        partitionsConcurrently: STAGE_PARTITIONS_CONCURRENTLY,
        signal,
        health,
        log,
        handleBatch,
        periodic: {
          everyMs: deps.config.strategies.refreshIntervalMs,
          what: 're-read the strategies risk limits (keeping those loaded)',
          run: () => limits.refresh(),
        },
      }).finally(() => serial.close());
    },
  };
}
