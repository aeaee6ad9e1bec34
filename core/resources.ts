// Connections shared by everything in one process, opened on first use and closed together.
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from './config/load';
import { createKafka } from './kafka/client';
import { createPool } from './postgres/pool';
import { createRedis } from './redis/client';

export class Resources {
  private pool?: Pool;
  private redisClient?: Redis;
  private kafkaClient?: Kafka;

  constructor(readonly config: Config) {}

  postgres(): Pool {
    this.pool ??= createPool(this.config);
    return this.pool;
  }

  redis(): Redis {
    this.redisClient ??= createRedis(this.config);
    return this.redisClient;
  }

  kafka(): Kafka {
    this.kafkaClient ??= createKafka(this.config);
    return this.kafkaClient;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool?.end(), this.redisClient?.quit()]);
    this.pool = undefined;
    this.redisClient = undefined;
  }
}
