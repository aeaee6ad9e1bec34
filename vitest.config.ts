import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code; integration and end-to-end tests (real Temporal, Kafka,
// Postgres, Redis) live in test/ and run in forked processes, one file at a time, because they
// start workers and servers. Every test process (and what it spawns) runs with the isolation
// guard on: production topic and consumer group names are refused (core/kafka/isolation.ts).
const env = { ALPHA_PANDA_TEST_ISOLATION: '1' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['{api,activities,bench,cli,core,dashboard,services,workers,workflows,scripts}/**/*.test.ts'],
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'integration',
          env,
          include: ['test/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
