// The one definition of every setting. Environment variable names are derived from the
// nesting: `zerodha.apiKey` is read from ZERODHA__API_KEY, `logLevel` from LOG_LEVEL.
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { BROKER_NAMESPACES } from '../domain/namespace';
import { DEFAULT_RISK_LIMITS } from '../domain/trading/risk/limits';

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

const originList = z
  .string()
  .regex(/^(https?:\/\/[^\s/,]+(,https?:\/\/[^\s/,]+)*)?$/, { error: 'expected scheme://host[:port][,scheme://host[:port]...]' })
  .transform((value) => (value === '' ? [] : value.split(',').map((origin) => new URL(origin).origin)));

const hostList = z
  .string()
  .regex(/^([^\s/,]+(,[^\s/,]+)*)?$/, { error: 'expected host[:port][,host[:port]...]' })
  .transform((value) => (value === '' ? [] : value.toLowerCase().split(',')));

/** More instances than the partitions of a stage's inputs (6 at most) would sit idle. */
const instanceCount = positiveInt.max(6, { error: 'expected 1 to 6 (a stage input has at most 6 partitions)' }).default(1);

/** Long enough that guessing it within the rate limit is hopeless. */
const apiToken = z.string().regex(/^[\x21-\x7e]{32,256}$/, { error: 'expected 32-256 printable characters without spaces' });

/** A certificate, key or CA file that this process can read, or empty for none. */
const optionalFile = z.string().refine(
  (path) => {
    if (path === '') return true;
    try {
      accessSync(path, constants.R_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  { error: 'expected the path of a readable file (or empty)' },
);

export const POSTGRES_SSL_MODES = ['', 'disable', 'require', 'verify-ca', 'verify-full'] as const;
export const KAFKA_SASL_MECHANISMS = ['', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** Hosts that only this machine can reach. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

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
        // TLS towards Postgres: empty leaves it to the URL (its sslmode/sslrootcert parameters, or
        // none); require encrypts without checking the certificate; verify-ca checks it against
        // the CA; verify-full also checks the host name.
        sslMode: z.enum(POSTGRES_SSL_MODES, { error: `expected one of ${POSTGRES_SSL_MODES.filter(Boolean).join(', ')} (or empty)` }).default(''),
        sslCaPath: optionalFile.default(''),
      })
      .prefault({}),
    redis: z
      .object({
        // A password or an ACL user goes in the URL (redis://user:password@host:6379/0); TLS is
        // rediss://.
        url: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
        // The CA that signed the server's certificate when it is not publicly trusted (rediss:// only).
        tlsCaPath: optionalFile.default(''),
      })
      .prefault({}),
    redpanda: z
      .object({
        bootstrapServers: hostPortList.default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('alpha-panda'),
        // Prefix of every topic and consumer group name: empty in production; a test run or a
        // second stack on the same broker sets its own (e.g. `t1a2b3c4d.`) so they never mix.
        topicPrefix: z
          .string()
          .regex(/^([a-z0-9][a-z0-9_-]*\.)?$/, { error: 'expected empty or lowercase letters, digits, - or _ ending with a dot' })
          .default(''),
        tls: booleanFlag.default(false),
        // The CA of the brokers' certificates when not publicly trusted; implies TLS.
        tlsCaPath: optionalFile.default(''),
        saslMechanism: z
          .enum(KAFKA_SASL_MECHANISMS, { error: `expected one of ${KAFKA_SASL_MECHANISMS.filter(Boolean).join(', ')} (or empty)` })
          .default(''),
        saslUsername: z.string().default(''),
        saslPassword: z.string().default(''),
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
        // TLS towards the frontend; also on whenever a CA, a client certificate, a server name or
        // an API key is set (an API key never travels in clear text).
        tls: booleanFlag.default(false),
        // mTLS: the client certificate and its private key (PEM), both or neither.
        tlsCertPath: optionalFile.default(''),
        tlsKeyPath: optionalFile.default(''),
        // The CA of the server's certificate when the system does not trust it.
        tlsCaPath: optionalFile.default(''),
        // The name to check the server's certificate against (SNI) when it differs from the address.
        tlsServerName: z.string().default(''),
        // Temporal Cloud's API key, sent as a bearer token.
        apiKey: z.string().default(''),
      })
      .prefault({}),
    auth: z
      .object({
        timeoutSeconds: positiveInt.default(300),
        // The HTTP API's bearer token (API__TOKEN). Off only for local development: refused below
        // when Zerodha is enabled and the API listens beyond loopback.
        enableUserAuth: booleanFlag.default(true),
      })
      .prefault({}),
    calendar: z
      .object({
        // A directory of market calendar year files (nse-<year>.json, the format of
        // core/domain/calendar/) that replace built-in years or add new ones; empty: built-in only.
        dir: z.string().default(''),
      })
      .prefault({}),
    api: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8000),
        // Bearer token of every API route but health, readiness and the Kite callback; empty:
        // `alpha-panda run` and `alpha-panda api` generate one per start and print it once.
        token: z.union([z.literal(''), apiToken]).default(''),
        // Browser origins (scheme://host[:port]) other than the API's own that may call it (CORS).
        corsOrigins: originList.default([]),
        // Host names (host or host:port) the API answers to besides API__HOST, localhost and
        // 127.0.0.1 with its port, e.g. the machine's name behind a reverse proxy.
        allowedHosts: hostList.default([]),
        rateLimitPerMinute: positiveInt.default(600),
      })
      .prefault({}),
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
        // The simulator publishes this many ticks in all (counted across restarts) and then goes
        // quiet, so that a seeded run has a known, finite input; 0: no end.
        maxTicks: nonNegativeInt.default(0),
        // The live feed counts as dead when no tick arrived for this long while the market is
        // open; its health then fails and the supervisor restarts it.
        staleMs: positiveInt.default(30_000),
      })
      .prefault({}),
    paper: z
      .object({
        startingCashPaise: positiveInt.default(100_000_000), // ₹10,00,000
        slippageBps: nonNegativeInt.default(5),
        // Extra slippage per market fill, drawn from [0, jitter] bps with the seeded generator.
        slippageJitterBps: nonNegativeInt.default(0),
        latencyMs: nonNegativeInt.default(0),
        seed: nonNegativeInt.default(7),
        // MIS (intraday) margin is the order's value divided by this: Zerodha's equity MIS
        // leverage is up to 5x (20% margin) under SEBI's peak-margin rules.
        misLeverage: positiveInt.default(5),
      })
      .prefault({}),
    portfolio: z
      .object({
        // A strategy's P&L snapshot is taken once this much event time (tick and fill times) has
        // passed since its previous one, if anything changed meanwhile.
        snapshotIntervalMs: positiveInt.default(60_000),
      })
      .prefault({}),
    strategies: z
      .object({
        // How often the strategy runner and the risk manager re-read strategy_configurations, so
        // a strategy switched on or off, added or edited takes effect without a restart.
        refreshIntervalMs: positiveInt.default(5_000),
      })
      .prefault({}),
    instances: z
      .object({
        // Instances of a stage that each namespace runs: one supervisor and one service activity
        // each, wherever a worker hosts the stage, sharing its consumer group so that Kafka spreads
        // the input partitions among them; they take turns on the stage's state (stage-lock.ts).
        // The market feed and the pipeline monitor run once.
        portfolioManager: instanceCount,
        tradingEngine: instanceCount,
        riskManager: instanceCount,
        strategyRunner: instanceCount,
      })
      .prefault({}),
    risk: z
      .object({
        // Namespace-wide pre-trade limits; a strategy's risk_limits column overrides any of them.
        maxPositionPerInstrument: positiveInt.default(DEFAULT_RISK_LIMITS.maxPositionPerInstrument),
        maxOrderValuePaise: positiveInt.default(DEFAULT_RISK_LIMITS.maxOrderValue),
        maxDailyTradesPerStrategy: positiveInt.default(DEFAULT_RISK_LIMITS.maxDailyTradesPerStrategy),
        priceBandBps: positiveInt.max(10_000, { error: 'expected at most 10000 bps' }).default(DEFAULT_RISK_LIMITS.priceBandBps),
        maxDailyLossPerStrategyPaise: positiveInt.default(DEFAULT_RISK_LIMITS.maxDailyLossPerStrategy),
      })
      .prefault({}),
    monitor: z
      .object({
        // How often the pipeline monitor samples topic end offsets and consumer group offsets.
        intervalMs: positiveInt.default(5_000),
        // A tick-fed stage whose newest input is older than this is a warning / critical (market
        // hours, or whenever ticks flow).
        staleWarningMs: positiveInt.default(15_000),
        staleCriticalMs: positiveInt.default(60_000),
        // Messages a consumer group is behind on its inputs: a warning / critical.
        lagWarning: positiveInt.default(1_000),
        lagCritical: positiveInt.default(10_000),
        // A group with lag whose committed offsets have not moved for this long is degraded.
        stallMs: positiveInt.default(30_000),
      })
      .prefault({}),
    clock: z
      .object({
        // Shifts the clock every service stamps event times with (ticks, signals, decisions,
        // orders, fills), in ms, so that mock mode trades a session at any hour: the fault
        // suite sets it to put its runs at 10:00 IST. Mock mode only (refused with Zerodha).
        offsetMs: z.coerce.number({ error: 'expected a whole number of milliseconds' }).int({ error: 'expected a whole number of milliseconds' }).default(0),
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
    checkConnectionSecurity(config, ctx);
    if (!config.zerodha.enabled) return;
    if (config.clock.offsetMs !== 0) {
      ctx.addIssue({ code: 'custom', path: ['clock', 'offsetMs'], message: 'must be 0 with ZERODHA__ENABLED=true: live orders and Kite data carry the real time' });
    }
    if (!config.auth.enableUserAuth && !(LOOPBACK_HOSTS as readonly string[]).includes(config.api.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'enableUserAuth'],
        message: `may be false with ZERODHA__ENABLED=true only while API__HOST is loopback (${LOOPBACK_HOSTS.join(', ')}), not ${config.api.host}`,
      });
    }
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

type ConnectionSettings = Pick<Config, 'database' | 'redis' | 'redpanda' | 'temporal'>;

/** Combinations of connection settings that would silently not do what they say. */
function checkConnectionSecurity(config: ConnectionSettings, ctx: z.RefinementCtx): void {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const { database, redis, redpanda, temporal } = config;

  // pg lets the URL's parameters override its options: two places would mean one is ignored.
  const urlSslMode = new URL(database.postgresUrl).searchParams.get('sslmode');
  if (database.sslMode !== '' && urlSslMode !== null) {
    issue(['database', 'sslMode'], `conflicts with sslmode=${urlSslMode} in DATABASE__POSTGRES_URL: set it in one place`);
  }
  if (database.sslCaPath !== '' && !['verify-ca', 'verify-full'].includes(database.sslMode)) {
    issue(['database', 'sslCaPath'], 'needs DATABASE__SSL_MODE=verify-ca or verify-full, which check the certificate against it');
  }
  if (redis.tlsCaPath !== '' && new URL(redis.url).protocol !== 'rediss:') {
    issue(['redis', 'tlsCaPath'], 'needs a rediss:// REDIS__URL (TLS)');
  }
  if (redpanda.saslMechanism !== '') {
    for (const [key, value] of [
      ['saslUsername', redpanda.saslUsername],
      ['saslPassword', redpanda.saslPassword],
    ] as const) {
      if (value === '') issue(['redpanda', key], `required with REDPANDA__SASL_MECHANISM=${redpanda.saslMechanism}`);
    }
  } else if (redpanda.saslUsername !== '' || redpanda.saslPassword !== '') {
    issue(['redpanda', 'saslMechanism'], 'required when a SASL username or password is set (plain, scram-sha-256 or scram-sha-512)');
  }
  if ((temporal.tlsCertPath === '') !== (temporal.tlsKeyPath === '')) {
    const missing = temporal.tlsCertPath === '' ? 'tlsCertPath' : 'tlsKeyPath';
    issue(['temporal', missing], 'the client certificate and its key go together: set both or neither');
  }
}
