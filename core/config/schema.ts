// The one definition of every setting. Environment variable names are derived from the
// nesting: `zerodha.apiKey` is read from ZERODHA__API_KEY, `logLevel` from LOG_LEVEL.
import { z } from 'zod';
import { BROKER_NAMESPACES } from '../domain/namespace';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535);
const positiveInt = z.coerce.number({ error: 'expected a positive whole number' }).int().positive({ error: 'expected a positive whole number' });
const nonNegativeInt = z.coerce.number({ error: 'expected a whole number' }).int().min(0, { error: 'expected zero or more' });

function urlWithProtocol(protocols: string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

const hostPortList = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, { error: 'expected host:port[,host:port...]' })
  .transform((value) => value.split(','));

/** A 32-byte key given as 64 hex characters (for AES-256-GCM). */
const encryptionKey = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hex characters (a 32-byte key)' });

export const configSchema = z
  .object({
    brokerNamespace: z.enum(BROKER_NAMESPACES).default('paper'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    logDir: z.string().min(1).default('logs'),
    zerodha: z
      .object({
        enabled: booleanFlag.default(false),
        apiKey: z.string().default(''),
        apiSecret: z.string().default(''),
        apiRoot: urlWithProtocol(['http:', 'https:']).default('https://api.kite.trade'),
        loginRoot: urlWithProtocol(['http:', 'https:']).default('https://kite.zerodha.com/connect/login'),
        tickerRoot: urlWithProtocol(['ws:', 'wss:']).default('wss://ws.kite.trade'),
      })
      .prefault({}),
    security: z
      .object({
        // Encrypts the Zerodha access token at rest. Required when Zerodha is enabled.
        encryptionKey: z.union([z.literal(''), encryptionKey]).default(''),
      })
      .prefault({}),
    database: z
      .object({
        postgresUrl: urlWithProtocol(['postgres:', 'postgresql:']).default(
          'postgres://alpha_panda:alpha_panda@127.0.0.1:5432/alpha_panda',
        ),
      })
      .prefault({}),
    redis: z.object({ url: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0') }).prefault({}),
    redpanda: z
      .object({
        bootstrapServers: hostPortList.default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('alpha-panda'),
      })
      .prefault({}),
    temporal: z
      .object({
        address: z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected host:port' })
          .default('127.0.0.1:7233'),
        namespace: z.string().min(1).default('default'),
        uiPort: port.default(8233),
      })
      .prefault({}),
    auth: z.object({ timeoutSeconds: positiveInt.default(300) }).prefault({}),
    api: z.object({ host: z.string().min(1).default('127.0.0.1'), port: port.default(8000) }).prefault({}),
    marketFeed: z
      .object({
        // Comma-separated instrument tokens the feed publishes; empty means every seeded instrument.
        instruments: z
          .string()
          .regex(/^(\d+(,\d+)*)?$/, { error: 'expected comma-separated instrument tokens' })
          .default('')
          .transform((value) => (value === '' ? [] : value.split(',').map(Number))),
        ticksPerSecond: positiveInt.default(10),
        seed: nonNegativeInt.default(42),
      })
      .prefault({}),
    paper: z
      .object({
        startingCashPaise: positiveInt.default(100_000_000), // ₹10,00,000
        slippageBps: nonNegativeInt.default(5),
        latencyMs: nonNegativeInt.default(0),
        seed: nonNegativeInt.default(7),
      })
      .prefault({}),
    infra: z
      .object({
        // Where the local stack keeps its data and logs (inside the checkout, ignored by git).
        dataDir: z.string().min(1).default('.data'),
        // Where provisioned binaries and jars are cached across clones, keyed by version.
        cacheDir: z.string().default(''),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (!config.zerodha.enabled) return;
    for (const [key, value] of [
      ['apiKey', config.zerodha.apiKey],
      ['apiSecret', config.zerodha.apiSecret],
    ] as const) {
      if (value === '') {
        ctx.addIssue({ code: 'custom', path: ['zerodha', key], message: 'required when ZERODHA__ENABLED=true' });
      }
    }
    if (config.security.encryptionKey === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['security', 'encryptionKey'],
        message: 'required when ZERODHA__ENABLED=true (64 hex characters)',
      });
    }
  });

export type Config = z.output<typeof configSchema>;
