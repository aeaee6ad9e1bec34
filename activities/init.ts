// Initialisation: database migrations and Kafka topics, both idempotent.
import { topicSpecs } from '../core/domain/topics';
import { bootstrapTopics } from '../core/kafka/topics';
import { migrateDatabase } from '../core/postgres/migrate';
import { postgresConnectionConfig } from '../core/postgres/ssl';
import type { ActivityDeps } from './deps';

export function createInitActivities(deps: ActivityDeps) {
  return {
    /** Applies pending migrations; returns their names (empty when up to date). */
    async runMigrations(): Promise<string[]> {
      return migrateDatabase(postgresConnectionConfig(deps.config));
    },

    /** Creates the topic table's topics that are missing; returns what was created. */
    async bootstrapTopics(): Promise<{ created: string[]; existing: number }> {
      const outcome = await bootstrapTopics(deps.resources.kafka(), topicSpecs(undefined, deps.config.redpanda.topicPrefix));
      return { created: outcome.created, existing: outcome.existing.length };
    },
  };
}
