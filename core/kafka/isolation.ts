// Tests share the broker with what the user runs (`make test` next to `make run`), so a test
// must never produce to, consume from or create a production topic, nor join a production
// consumer group: test fills would land in the user's `paper.orders.filled`, and the user's
// engine could consume a test's signals. Every test uses prefixed names (REDPANDA__TOPIC_PREFIX,
// or a harness's own prefix); this guard, switched on by the test runner's environment and
// inherited by the worker processes a test starts, refuses unprefixed names where the code
// subscribes, produces and creates topics.
import { topicSpecs } from '../domain/topics';

/** Set (to 1) by vitest.config.ts for every test process and the processes they spawn. */
export const TEST_ISOLATION_ENV = 'ALPHA_PANDA_TEST_ISOLATION';

/** Production consumer groups are `alpha-panda.{ns}.{service}` (core/domain/namespace.ts). */
const PRODUCTION_GROUP = /^alpha-panda\./;

let productionTopics: ReadonlySet<string> | undefined;

// Read once: the producer calls this per batch.
let guardOn: boolean | undefined;
const guarded = () => (guardOn ??= process.env[TEST_ISOLATION_ENV] === '1');

export class TestIsolationError extends Error {
  override name = 'TestIsolationError';
}

/** Throws when a test process is about to use a production topic or consumer group. */
export function assertIsolated(use: { topics?: readonly string[]; groupId?: string }, what: string): void {
  if (!guarded()) return;
  productionTopics ??= new Set(topicSpecs().map((spec) => spec.name));
  const topics = (use.topics ?? []).filter((topic) => productionTopics!.has(topic));
  if (topics.length > 0) {
    throw new TestIsolationError(`${what}: refusing production topic(s) ${topics.join(', ')} in a test run; give the test a topic prefix`);
  }
  if (use.groupId !== undefined && PRODUCTION_GROUP.test(use.groupId)) {
    throw new TestIsolationError(`${what}: refusing production consumer group ${use.groupId} in a test run; give the test a group prefix`);
  }
}
