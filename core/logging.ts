// Structured logging with pino. Four channels (application, trading, market_data, error) each
// write JSON lines to logs/<channel>.log; everything also goes to a readable console stream and
// every error-level line to logs/error.log. Secrets are redacted by key before anything is written.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export const LOG_CHANNELS = ['application', 'trading', 'market_data', 'error'] as const;
export type LogChannel = (typeof LOG_CHANNELS)[number];

/** Keys whose values never reach a log line, at the top level or one level down. */
export const REDACTED_KEYS = [
  'accessToken',
  'access_token',
  'apiSecret',
  'api_secret',
  'requestToken',
  'request_token',
  'encryptionKey',
  'password',
  'authorization',
  'checksum',
] as const;

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]);

export interface LoggingOptions {
  level: LevelWithSilent;
  /** Directory for the channel files; undefined writes to the console only. */
  dir?: string;
  /** Console output; off for tests and commands whose stdout is data. */
  console?: boolean;
  /** A quieter console than the files (e.g. `run`, whose console shows progress). */
  consoleLevel?: LevelWithSilent;
}

const loggers = new Map<LogChannel, Logger>();
let options: LoggingOptions = { level: 'info', console: true };

/** Sets where and how loudly every channel logs; call once at program start. */
export function configureLogging(next: LoggingOptions): void {
  options = next;
  for (const logger of loggers.values()) logger.flush();
  loggers.clear();
}

function build(channel: LogChannel): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.console !== false) {
    streams.push({
      level: (options.consoleLevel ?? options.level) as pino.Level,
      stream: pretty({ colorize: process.stderr.isTTY, destination: 2, sync: true, ignore: 'pid,hostname' }),
    });
  }
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    const file = (name: string) => pino.destination({ dest: join(options.dir!, `${name}.log`), mkdir: true, sync: false });
    streams.push({ level: options.level as pino.Level, stream: file(channel) });
    if (channel !== 'error') streams.push({ level: 'error', stream: file('error') });
  }
  return pino(
    {
      level: options.level,
      base: { channel },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    streams.length > 0 ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
}

/** The logger of a channel, e.g. `getLogger('trading').info({ orderId }, 'order filled')`. */
export function getLogger(channel: LogChannel = 'application'): Logger {
  let logger = loggers.get(channel);
  if (!logger) {
    logger = build(channel);
    loggers.set(channel, logger);
  }
  return logger;
}
