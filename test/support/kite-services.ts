// The zerodha services of a test composed by the production factory in the test's process, on a
// Kite test stack (./kite) logged in at the fake: one active strategy, live-1, the namespace's
// topics under a prefix of the test's own with a reader of each, and the fake's prices set. What
// runs is the test's choice: it starts services here (stopped by `close`) or runs its own.
import { Redis } from 'ioredis';
import type { ServiceFactory } from '../../activities';
import type { NamespaceService } from '../../core/domain/namespace';
import { Resources } from '../../core/resources';
import type { StreamingService } from '../../core/service';
import { createServiceFactory } from '../../workers/services';
import { openZerodhaTopics, startKiteTestStack, type KiteTestStack, type ZerodhaTopics } from './kite';
import { testPrefix } from './topics';

export interface KiteServiceStack {
  stack: KiteTestStack;
  bus: ZerodhaTopics;
  /** The topic and consumer-group prefix the factory was given. */
  prefix: string;
  /** The stack's own Redis database, where the services keep their state. */
  redis: Redis;
  factory: ServiceFactory;
  /** Starts a zerodha service until `close`. */
  start(service: NamespaceService): StreamingService;
  close(): Promise<void>;
}

export interface KiteServiceStackOptions {
  apiKey: string;
  apiSecret: string;
  /** The instruments of live-1. */
  instruments: number[];
  /** live-1's parameters (execution settings...); none by default. */
  parameters?: object;
  /** The fake's last price of each tradingsymbol, in paise. */
  prices: Record<string, number>;
}

export async function startKiteServiceStack(options: KiteServiceStackOptions): Promise<KiteServiceStack> {
  const stack = await startKiteTestStack({ apiKey: options.apiKey, apiSecret: options.apiSecret, redis: true });
  const controller = new AbortController();
  const running: Promise<void>[] = [];
  let redis: Redis | undefined;
  let bus: ZerodhaTopics | undefined;
  let resources: Resources | undefined;
  const close = async () => {
    controller.abort();
    await Promise.allSettled(running);
    await resources?.close();
    await bus?.close();
    redis?.disconnect();
    await stack.close();
  };
  try {
    const prefix = testPrefix();
    redis = new Redis(stack.redisUrl!);
    await stack.pool.query(
      `insert into strategy_configurations (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
       values ('zerodha', 'live-1', 'live-1', 'momentum', $1, $2, '{}', true)`,
      [options.instruments, options.parameters ?? {}],
    );
    bus = await openZerodhaTopics(stack.config, prefix);
    await stack.login();
    for (const [tradingsymbol, price] of Object.entries(options.prices)) stack.fake.setPrice(tradingsymbol, price);
    resources = new Resources(stack.config);
    // The test's fresh topics read whole: a signal sent before a service subscribed is not missed.
    const factory = createServiceFactory(stack.config, resources, { topicPrefix: prefix, groupPrefix: prefix, fromBeginning: true });
    return {
      stack,
      bus,
      prefix,
      redis,
      factory,
      start(service) {
        const started = factory('zerodha', service);
        running.push(started.start(controller.signal));
        return started;
      },
      close,
    };
  } catch (error) {
    // The caller gets nothing to close: nothing made here may outlive the failure.
    await close();
    throw error;
  }
}
