// Lint: typescript-eslint's recommended rules, one type-aware rule (no floating promises: a
// promise nobody awaits or catches loses its error, and in a workflow its ordering), plus the rule
// that keeps workflow code deterministic: workflows import @temporalio/workflow, the pure domain
// model and activities as types, never Node built-ins or I/O clients.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const WORKFLOW_SANDBOX = 'workflow code runs in a deterministic sandbox: no Node built-ins or I/O';
const IO_CLIENTS = [
  'pg',
  'ioredis',
  'kafkajs',
  'kiteconnect',
  'pino',
  'pino-pretty',
  'fastify',
  'node-pg-migrate',
  'prom-client',
  'dotenv',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'logs/', 'coverage/', 'build/', 'build.next/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // A leading underscore marks a binding that is deliberately unused (a destructured field
    // dropped on purpose, a parameter an interface requires).
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...IO_CLIENTS].map((name) => ({ name, message: WORKFLOW_SANDBOX })),
          patterns: [
            { group: ['node:*', ...nodeBuiltins.map((name) => `${name}/*`)], message: WORKFLOW_SANDBOX },
            { group: IO_CLIENTS.map((name) => `${name}/*`), message: WORKFLOW_SANDBOX },
            {
              group: ['**/activities', '**/activities/**', '**/activities.*', '**/activities-*'],
              allowTypeImports: true,
              message: 'workflows reach activities through proxyActivities with `import type`, never by value',
            },
          ],
        },
      ],
    },
  },
);
