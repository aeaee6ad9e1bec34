// What every route module gets: the frozen configuration, the Temporal client and the process's
// shared connections (Postgres, Redis, Kafka), opened on first use.
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config/load';
import type { Resources } from '../core/resources';

export interface ApiContext {
  readonly config: Config;
  readonly client: Client;
  readonly resources: Resources;
}
