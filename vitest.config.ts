import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code; integration and end-to-end tests (real Temporal, Kafka,
// Postgres, Redis) live in test/ and run in forked processes, one file at a time, because they
// start workers and servers. Every test process (and what it spawns) runs with the isolation
// guard on: production topic and consumer group names are refused (core/kafka/isolation.ts).
// Unit tests run in forked processes too: some load native addons (Temporal's core bridge,
// esbuild), and a native crash in a worker thread takes the whole run down with a segfault (seen
// once, exit 139), where a fork's crash is only its file's failure.
const env = { ALPHA_PANDA_TEST_ISOLATION: '1' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: ['{api,activities,bench,cli,core,dashboard,services,workers,workflows,scripts}/**/*.test.ts'],
          pool: 'forks',
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
