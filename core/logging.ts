// Structured logging with pino. Four channels (application, trading, market_data, error) each
// write JSON lines to logs/<channel>.log; everything also goes to a readable console stream and
// every error-level line to logs/error.log. Secrets are redacted by key, at any depth and in any
// case, before anything is written (see scrub below).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export const LOG_CHANNELS = ['application', 'trading', 'market_data', 'error'] as const;
export type LogChannel = (typeof LOG_CHANNELS)[number];

/**
 * Keys whose values never reach a log line, at any depth, compared without case, `_` or `-`
 * (`Authorization`, `access_token`, `X-Api-Secret`... all match).
 */
export const REDACTED_KEYS = [
  'accessToken',
  'access_token',
  'apiSecret',
  'api_secret',
  'requestToken',
  'request_token',
  'encryptionKey',
  'password',
  'saslPassword',
  // Temporal Cloud's API key (TEMPORAL__API_KEY); Kite's API key, under the same name, is no
  // secret but loses nothing by it.
  'apiKey',
  'x-api-key',
  'authorization',
  'checksum',
  'cookie',
  'set-cookie',
] as const;

const CENSOR = '[redacted]';
const MAX_DEPTH = 10;
const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
const redactedKeys = new Set(REDACTED_KEYS.map(normalise));

/**
 * A copy of a log line's fields that is safe to write. pino's `redact` paths are case-sensitive
 * and fixed in depth, which let a nested `config.headers.Authorization` of a failed Kite request
 * through. Besides redacting by key, it writes an Error as its name, message, stack and own plain
 * fields, and any other class instance (a pg Client with its backend key, a socket, a kafkajs
 * broker) as just its class name: whole client objects never reach a log.
 */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
    const prototype = Object.getPrototypeOf(value) as object | null;
    const isError = value instanceof Error;
    if (!isError && prototype !== Object.prototype && prototype !== null) return `[${value.constructor?.name ?? 'object'}]`;
    const copy: Record<string, unknown> = {};
    if (isError) {
      copy.type = value.name;
      copy.message = value.message;
      copy.stack = value.stack;
      if (value.cause !== undefined) copy.cause = scrub(value.cause, depth + 1, seen);
      if (value instanceof AggregateError) copy.errors = scrub(value.errors, depth + 1, seen);
    }
    for (const [key, field] of Object.entries(value)) {
      if (isError && (key === 'stack' || key === 'message' || key === 'cause')) continue;
      copy[key] = redactedKeys.has(normalise(key)) ? CENSOR : scrub(field, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

export interface LoggingOptions {
  level: LevelWithSilent;
  /** Directory for the channel files; undefined writes to the console only. */
  dir?: string;
  /** Console output; off for tests and commands whose stdout is data. */
  console?: boolean;
  /** A quieter console than the files (e.g. `run`, whose console shows progress). */
  consoleLevel?: LevelWithSilent;
  /** Where the console lines go: standard error unless a test captures them. */
  consoleDestination?: NodeJS.WritableStream;
}

const loggers = new Map<string, Logger>();
// One destination per file, shared by a channel's logger and its file-only logger so that their
// lines stay in order.
const files = new Map<string, pino.DestinationStream>();
let options: LoggingOptions = { level: 'info', console: true };

/** Sets where and how loudly every channel logs; call once at program start. */
export function configureLogging(next: LoggingOptions): void {
  options = next;
  for (const logger of loggers.values()) logger.flush();
  loggers.clear();
  files.clear();
}

function build(channel: LogChannel, toConsole: boolean): Logger {
  const streams: pino.StreamEntry[] = [];
  if (toConsole && options.console !== false) {
    streams.push({
      level: (options.consoleLevel ?? options.level) as pino.Level,
      stream: pretty({
        colorize: !options.consoleDestination && process.stderr.isTTY,
        destination: options.consoleDestination ?? 2,
        sync: true,
        ignore: 'pid,hostname',
      }),
    });
  }
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    const file = (name: string) => {
      let destination = files.get(name);
      if (!destination) {
        destination = pino.destination({ dest: join(options.dir!, `${name}.log`), mkdir: true, sync: false });
        files.set(name, destination);
      }
      return destination;
    };
    streams.push({ level: options.level as pino.Level, stream: file(channel) });
    if (channel !== 'error') streams.push({ level: 'error', stream: file('error') });
  }
  return pino(
    {
      level: options.level,
      base: { channel },
      // Runs before pino's serializers: errors arrive here whole and leave already scrubbed.
      formatters: { log: (fields) => scrub(fields) as Record<string, unknown> },
      // scrub has written `err` already; pino's own error serializer would rename its type.
      serializers: { err: (err: unknown) => err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    streams.length > 0 ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
}

/** The logger of a channel, e.g. `getLogger('trading').info({ orderId }, 'order filled')`. */
export function getLogger(channel: LogChannel = 'application'): Logger {
  return cachedLogger(channel, true);
}

/**
 * The logger of a channel that writes to the channel's files (and error.log) but never to the
 * console: for what a library reports and then recovers from on its own, such as a broker's
 * "leader not available" while a topic is created, which only matters when diagnosing.
 */
export function getFileLogger(channel: LogChannel = 'application'): Logger {
  return cachedLogger(channel, false);
}

function cachedLogger(channel: LogChannel, toConsole: boolean): Logger {
  const key = `${channel}${toConsole ? '' : ':file'}`;
  let logger = loggers.get(key);
  if (!logger) {
    logger = build(channel, toConsole);
    loggers.set(key, logger);
  }
  return logger;
}
