// Reads the environment (and `.env` when present) once, validates it against the schema and
// freezes the result. A bad value stops the program with the variable's name.
import { existsSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from './schema';

export type { Config } from './schema';

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix the variable(s) above in the environment or .env (see .env.example).',
    );
    this.name = 'ConfigError';
  }
}

const camel = (segment: string) => segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (key: string) => key.replace(/([A-Z])/g, '_$1').toUpperCase();

/** `['zerodha', 'apiKey']` -> `ZERODHA__API_KEY` */
export function envVarName(path: readonly PropertyKey[]): string {
  return path.map((segment) => snake(String(segment))).join('__');
}

/** Every variable the schema knows, in schema order (the list `.env.example` must match). */
export function listVariables(): string[] {
  const names: string[] = [];
  const walk = (schema: z.ZodType, path: string[]) => {
    const object = unwrapObject(schema);
    if (!object) {
      names.push(envVarName(path));
      return;
    }
    for (const [key, child] of Object.entries(object.shape)) walk(child as z.ZodType, [...path, key]);
  };
  walk(configSchema, []);
  return names;
}

function unwrapObject(schema: z.ZodType): z.ZodObject | undefined {
  let current: z.ZodType = schema;
  // Defaults, prefaults and pipes wrap the object; peel them off until something else shows.
  for (;;) {
    if (current instanceof z.ZodObject) return current;
    const def = (current as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    const inner = def.innerType ?? def.in;
    if (!inner) return undefined;
    current = inner;
  }
}

/** Builds the nested input object from flat `A__B_C` variables; unknown variables are ignored. */
function nest(env: Record<string, string | undefined>): Record<string, unknown> {
  const known = new Set(listVariables());
  const root: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !known.has(name)) continue;
    const path = name.split('__').map(camel);
    let node = root;
    for (const segment of path.slice(0, -1)) {
      node = (node[segment] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return root;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Parses configuration from the given variables; throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(nest(env));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const received = readAt(env, issue.path);
        const shown = received === undefined ? '' : ` (got ${JSON.stringify(received)})`;
        return { variable: envVarName(issue.path), message: `${issue.message}${shown}` };
      }),
    );
  }
  return deepFreeze(result.data);
}

function readAt(env: Record<string, string | undefined>, path: readonly PropertyKey[]) {
  const name = envVarName(path);
  // Never echo secrets back, even when they are malformed: not secret variables, and not the
  // password a connection URL may carry (which need not parse as a URL to hold one).
  if (/SECRET|KEY|TOKEN|PASSWORD/.test(name)) return undefined;
  const value = env[name];
  return value?.replace(/\/\/([^:/@\s]*):[^@\s]*@/, '//$1:***@');
}

/** Variables from `.env` (when present), overridden by the real environment. */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use and frozen. */
export function getConfig(): Config {
  cached ??= parseConfig(readEnvironment());
  return cached;
}

/**
 * For entry points: returns the configuration or prints the problem and exits, so that a bad
 * value stops the program with the variable's name rather than a stack trace.
 */
export function loadConfigOrExit(): Config {
  try {
    return getConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
