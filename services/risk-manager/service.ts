// The risk manager of a namespace: every signal of {ns}.signals.raw is checked against every rule
// of core/domain/trading/risk and published, caused by the signal, either on
// {ns}.signals.validated (approved quantity and price) or on {ns}.signals.rejected (every rule's
// result and the failed ones).
//
// Inputs, one consumer: the signals; market.ticks for each instrument's last price (price_band
// and the approval price of market orders); {ns}.orders.filled (positions), {ns}.orders.rejected
// and .cancelled (the end of pending orders) and {ns}.pnl.snapshots (the portfolio's positions and
// P&L, for the daily loss limit). Limits: RISK__* defaults with each strategy's `risk_limits` on
// top (limits.ts). The kill switch is a Redis key (core/redis/kill-switch.ts) read as the context
// of each batch of signals, so the replay of a batch repeats its decisions. The state (store.ts)
// is written with each batch and loaded at start, so counts, positions and pending orders survive
// a restart; daily figures roll over at the IST date of the events.
//
// Per batch of ticks: one HSET of the instruments' last prices (with processOnce's offset
// watermark), never one write per tick.
import { stageInputs } from '../../core/domain/topics';
import type { Envelope } from '../../core/domain/events';
import type { RiskState } from '../../core/domain/trading/risk';
import type { ConsumedEvent } from '../../core/kafka/consumer';
import type { EventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { fillSequences } from '../../core/pipeline/fill-sequence';
import { processOnce } from '../../core/pipeline/process-once';
import { STAGE_PARTITIONS_CONCURRENTLY } from '../../core/pipeline/serial';
import { StageLock } from '../../core/pipeline/stage-lock';
import { runStageLoop, type StageDeps } from '../../core/pipeline/stage';
import { HealthTracker, type StreamingService } from '../../core/service';
import { decideBatch, RISK_MANAGER, type DecidedBatch, type RiskInput } from './decide';
import { readKillSwitch, type KillSwitchStatus } from '../../core/redis/kill-switch';
import { configuredRiskLimits, RiskLimitsCatalog } from './limits';
import { loadRiskState, persistLastTicks, persistRiskState, type LastTick } from './store';

export { RISK_MANAGER } from './decide';

export type RiskManagerDeps = StageDeps<'risk' | 'strategies'>;

type Input = RiskInput['type'] | 'tick_received';

export function createRiskManagerService(deps: RiskManagerDeps): StreamingService {
  const { namespace, redis, topics } = deps;
  const now = deps.now ?? (() => new Date());
  const health = new HealthTracker();
  const log = getLogger('trading').child({ service: RISK_MANAGER, namespace });
  const limits = new RiskLimitsCatalog(deps.postgres, namespace, configuredRiskLimits(deps.config), log);
  let state: RiskState | undefined;
  /** State changes one batch at a time, across every instance of the stage. */
  const serial = new StageLock({
    redis,
    namespace,
    stage: RISK_MANAGER,
    reload: async () => void (state = await loadRiskState(redis, namespace, now().toISOString())),
  });


  async function recordTicks(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    let latest: Map<string, LastTick> | undefined;
    await processOnce({
      redis,
      namespace,
      stage: RISK_MANAGER,
      producer,
      events,
      serial,
      apply: (fresh) => {
        const prices = new Map<string, LastTick>();
        for (const { envelope } of fresh) {
          const tick = (envelope as Envelope<'tick_received'>).data;
          prices.set(String(tick.instrumentToken), { price: tick.lastPrice, at: tick.exchangeTimestamp ?? envelope.ts });
        }
        latest = prices;
        return { outputs: [], persist: (multi) => persistLastTicks(multi, namespace, prices) };
      },
      committed: () => {
        for (const [token, tick] of latest ?? []) state!.lastTicks[token] = tick;
      },
    });
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
      ...(judging ? { context: () => readKillSwitch(redis, namespace) } : {}),
      serial,
      apply: (fresh, killSwitch: KillSwitchStatus | undefined) => {
        // Inside the critical section: the state as the batches before this one left it.
        const committed = state!;
        const recorded: KillSwitchStatus = { ...committed.killSwitch, setAt: committed.killSwitch.changedAt };
        decided = decideBatch(
          committed,
          fresh.map((event) => event.envelope as RiskInput),
          {
            namespace,
            topics,
            limitsOf: (id) => limits.limitsOf(id),
            now: decidedAt,
            killSwitch: killSwitch ?? recorded,
            fillSequenceOf: fillSequences(fresh),
          },
        );
        const next = decided.state;
        return { outputs: decided.outputs, persist: (multi) => persistRiskState(multi, namespace, next) };
      },
      // The tick path records prices into the same lastTicks object.
      committed: () => (state = { ...decided!.state, lastTicks: state!.lastTicks }),
    });
    if (!decided) return;
    for (const decision of decided.decisions) {
      if (decision.approved) log.info({ signalId: decision.signalId, strategyId: decision.strategyId }, 'signal validated');
      else log.info({ signalId: decision.signalId, strategyId: decision.strategyId, failedRules: decision.failedRules }, 'signal rejected');
    }
  }

  async function handleBatch(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    // A batch may hold ticks and decisions' inputs both: prices first, so decisions value
    // positions at the latest prices of the batch.
    const ticks = events.filter((event) => event.envelope.type === 'tick_received');
    const others = events.filter((event) => event.envelope.type !== 'tick_received');
    if (ticks.length > 0) await recordTicks(ticks, producer);
    if (others.length > 0) await decide(others, producer);
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
        subscriptions: stageInputs(topics, deps.ticksTopic)['risk-manager'],
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
