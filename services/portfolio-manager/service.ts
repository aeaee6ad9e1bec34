// The portfolio manager of a namespace: books fills into each strategy's portfolio (positions,
// cash, realized P&L, charges), marks positions to the latest tick (unrealized P&L), and books
// each day's contract note (its correction of the per-fill charge estimates). The hot
// state lives in Redis (layout in store.ts), written with the dedup marks of the batch that
// changed it, so a restart resumes exactly and a replayed fill is never booked twice. On a
// schedule of event time (book.ts) it records P&L snapshots in Postgres and on
// {ns}.pnl.snapshots, keyed by strategy id.
//
// One instance per namespace: the books of every strategy are in its memory.
import { stageInputs } from '../../core/domain/topics';
import { createEvent } from '../../core/domain/events';
import type { ConsumedEvent } from '../../core/kafka/consumer';
import type { EventMessage, EventProducer } from '../../core/kafka/producer';
import { getLogger } from '../../core/logging';
import { fillSequences } from '../../core/pipeline/fill-sequence';
import { processOnce } from '../../core/pipeline/process-once';
import { STAGE_PARTITIONS_CONCURRENTLY } from '../../core/pipeline/serial';
import { StageLock } from '../../core/pipeline/stage-lock';
import { runStageLoop, type StageDeps } from '../../core/pipeline/stage';
import { HealthTracker, type StreamingService } from '../../core/service';
import { applyBatch, type BookInput, type BookSettings, type StrategyBook } from './book';
import { insertSnapshots, loadBooks, persistBooks } from './store';

export const PORTFOLIO_MANAGER = 'portfolio-manager';

/** About 40 ticks of the feed's size, or 50 ms (see runEventConsumer's `gather`). */
const PORTFOLIO_FETCH_GATHER = { minBytes: 48 * 1024, maxWaitMs: 50 };

export type PortfolioManagerDeps = StageDeps;

type Input = 'order_filled' | 'tick_received' | 'contract_note_issued';

export function createPortfolioManagerService(deps: PortfolioManagerDeps): StreamingService {
  const { namespace, redis, topics } = deps;
  const settings: BookSettings = {
    startingCash: deps.config.paper.startingCashPaise,
    snapshotIntervalMs: deps.config.portfolio.snapshotIntervalMs,
  };
  const now = deps.now ?? (() => new Date());
  const health = new HealthTracker();
  const log = getLogger('trading').child({ service: PORTFOLIO_MANAGER, namespace });
  let committed = new Map<string, StrategyBook>();
  /** The books move one batch at a time, across every instance of the stage. */
  const serial = new StageLock({ redis, namespace, stage: PORTFOLIO_MANAGER, reload: async () => void (committed = await loadBooks(redis, namespace)) });

  async function handleBatch(events: ConsumedEvent<Input>[], producer: EventProducer): Promise<void> {
    let next = committed;
    let taken = 0;
    const outcome = await processOnce({
      redis,
      namespace,
      stage: PORTFOLIO_MANAGER,
      producer,
      events,
      serial,
      apply: (fresh) => {
        // Always from the committed books: a retried batch must not see its own failed attempt.
        const result = applyBatch(committed, fresh.map((event) => event.envelope as BookInput), settings, fillSequences(fresh));
        next = result.books;
        taken = result.snapshots.length;
        const at = now();
        const outputs: EventMessage[] = result.snapshots.map(({ id, data, cause }) => ({
          topic: topics.pnlSnapshots,
          key: data.strategyId,
          envelope: createEvent({ type: 'pnl_snapshot', source: PORTFOLIO_MANAGER, namespace, data, cause, id, now: at }),
        }));
        const changed = [...result.touched].map((strategyId) => result.books.get(strategyId)!);
        return {
          outputs,
          durable: () => insertSnapshots(deps.postgres, namespace, result.snapshots),
          persist: (multi) => persistBooks(multi, namespace, changed),
        };
      },
      committed: () => (committed = next),
    });
    if (outcome.fresh > 0 && taken > 0) log.debug({ snapshots: taken }, 'P&L snapshots taken');
    health.recordProcessed(events.length);
  }

  return {
    name: PORTFOLIO_MANAGER,
    health: () => health.snapshot(),
    async start(signal) {
      committed = await loadBooks(redis, namespace);
      log.info({ strategies: committed.size }, 'portfolio manager starting');
      await runStageLoop<Input>({
        kafka: deps.kafka,
        groupId: deps.groupId,
        subscriptions: stageInputs(namespace, topics, deps.ticksTopic)['portfolio-manager'],
        fromBeginning: deps.fromBeginning,
        partitionsConcurrently: STAGE_PARTITIONS_CONCURRENTLY,
        // Off the path of a trade (a fill is booked, a tick marks a position): its fetches wait
        // for a few dozen ticks or 50 ms, so it commits once per many ticks instead of once per
        // one or two, and leaves Redis and the CPU to the stages a trade waits on.
        gather: PORTFOLIO_FETCH_GATHER,
        signal,
        health,
        log,
        handleBatch,
      }).finally(() => serial.close());
    },
  };
}
