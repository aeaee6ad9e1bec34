// Health checks of the startup workflow, one activity each so the Web UI shows them one by one.
// A check that may pass on a retry (a component still starting) throws a retryable error; a
// check that cannot pass without the user doing something throws a non-retryable one.
import { ApplicationFailure } from '@temporalio/activity';
import { Redis } from 'ioredis';
import pg from 'pg';
import { checkCredentials, checkStoredSession } from '../core/broker/auth';
import { redisKiteCallMeter } from '../core/broker/kite-calls';
import { marketCalendarFor } from '../core/calendar/load';
import { calendarCoverage, marketStatus } from '../core/domain/market-hours';
import { squareOffMs, squareOffText, tradingDate } from '../core/domain/trading/paper-session';
import type { BrokerNamespace } from '../core/domain/namespace';
import { topicSpecs } from '../core/domain/topics';
import { missingTopics } from '../core/kafka/topics';
import { postgresConnectionConfig } from '../core/postgres/ssl';
import { redisTlsOptions } from '../core/redis/tls';
import type { CheckResult } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

const UNDEFINED_TABLE = '42P01';

export function createHealthActivities(deps: ActivityDeps) {
  const { config } = deps;
  const result = (name: string, outcome: CheckResult['outcome'], detail: string): CheckResult => ({ name, outcome, detail });

  return {
    async checkPostgres(): Promise<CheckResult> {
      // A fresh client with a short timeout: the shared pool would queue behind a dead server.
      const client = new pg.Client({ ...postgresConnectionConfig(config), connectionTimeoutMillis: 3_000 });
      try {
        await client.connect();
        const { rows } = await client.query<{ version: string }>('select current_setting($1) as version', ['server_version']);
        return result('postgres', 'passed', `Postgres ${rows[0]?.version} answers at ${hostOf(config.database.postgresUrl)}`);
      } catch (error) {
        throw new Error(`Postgres at ${hostOf(config.database.postgresUrl)} does not answer: ${messageOf(error)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    async checkRedis(): Promise<CheckResult> {
      const redis = new Redis(config.redis.url, {
        lazyConnect: true,
        connectTimeout: 2_000,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        ...redisTlsOptions(config),
      });
      redis.on('error', () => undefined); // reported through the rejected connect below
      try {
        await redis.connect();
        const pong = await redis.ping();
        return result('redis', 'passed', `Redis answers ${pong} at ${hostOf(config.redis.url)}`);
      } catch (error) {
        throw new Error(`Redis at ${hostOf(config.redis.url)} does not answer: ${messageOf(error)}`);
      } finally {
        redis.disconnect();
      }
    },

    async checkRedpanda(namespace: BrokerNamespace): Promise<CheckResult> {
      const brokers = config.redpanda.bootstrapServers.join(',');
      let missing: string[];
      try {
        const wanted = topicSpecs([namespace], config.redpanda.topicPrefix).map((spec) => spec.name);
        missing = await missingTopics(deps.resources.kafka(), wanted);
      } catch (error) {
        throw new Error(`Kafka broker at ${brokers} does not answer: ${messageOf(error)}`);
      }
      if (missing.length > 0) {
        // Not fatal: initialisation creates them right after the checks.
        return result('redpanda', 'warning', `broker answers at ${brokers}; ${missing.length} topic(s) missing, created during initialisation`);
      }
      return result('redpanda', 'passed', `broker answers at ${brokers}; all '${namespace}' topics exist`);
    },

    async checkZerodhaCredentials(namespace: BrokerNamespace): Promise<CheckResult> {
      if (!config.zerodha.enabled) {
        if (namespace === 'zerodha') {
          throw ApplicationFailure.nonRetryable(
            "the 'zerodha' namespace trades real money and needs ZERODHA__ENABLED=true with ZERODHA__API_KEY, ZERODHA__API_SECRET and SECURITY__ENCRYPTION_KEY",
            'ZerodhaDisabled',
          );
        }
        return result('zerodha-credentials', 'skipped', 'mock mode (ZERODHA__ENABLED=false): no credentials needed');
      }
      const problem = checkCredentials(config);
      if (problem) throw ApplicationFailure.nonRetryable(problem, 'BadCredentials');
      return result('zerodha-credentials', 'passed', `API key ${config.zerodha.apiKey.slice(0, 4)}… configured`);
    },

    async checkActiveStrategies(namespace: BrokerNamespace): Promise<CheckResult> {
      try {
        const { rows } = await deps.resources
          .postgres()
          .query<{ count: number }>('select count(*) from strategy_configurations where namespace = $1 and is_active', [namespace]);
        const count = rows[0]?.count ?? 0;
        if (count === 0) {
          throw ApplicationFailure.nonRetryable(
            `no active strategies for '${namespace}': add or activate one in strategy_configurations (or run 'alpha-panda seed')`,
            'NoActiveStrategies',
          );
        }
        return result('active-strategies', 'passed', `${count} active strateg${count === 1 ? 'y' : 'ies'} for '${namespace}'`);
      } catch (error) {
        if ((error as { code?: string }).code === UNDEFINED_TABLE) {
          return result('active-strategies', 'warning', 'database not migrated yet: strategies are checked again once services start');
        }
        throw error;
      }
    },

    async checkBrokerApi(namespace: BrokerNamespace): Promise<CheckResult> {
      if (!config.zerodha.enabled) {
        return namespace === 'paper'
          ? result('broker-api', 'passed', 'mock mode: paper broker with simulated market data')
          : result('broker-api', 'skipped', 'Zerodha is disabled');
      }
      const session = await storedSession();
      return session.valid
        ? result('broker-api', 'passed', `Zerodha session valid for ${session.userId} until ${session.expiresAt}`)
        : result('broker-api', 'pending', `no valid Zerodha session (${session.reason}): waiting for login`);
    },

    // A warning at most, never a failure: services start whatever the market does. A year the
    // calendar has no data for is the loud warning, since holidays then pass for trading days.
    async checkMarketHours(): Promise<CheckResult> {
      const calendar = marketCalendarFor(config);
      const now = deps.now();
      const coverage = calendarCoverage(now, calendar);
      if (!coverage.covered) {
        return result(
          'market-hours',
          'warning',
          `WARNING: the market calendar does not cover ${coverage.year}: add core/domain/calendar/nse-${coverage.year}.json ` +
            `or set CALENDAR__DIR; until then every weekday counts as a trading day (09:15-15:30 IST), holidays included`,
        );
      }
      const status = marketStatus(now, calendar);
      const outlook = calendarOutlook(coverage.date, calendar.years) + (config.zerodha.enabled ? '' : paperSessionOver(now));
      return status.open
        ? result('market-hours', 'passed', `NSE is open until ${status.closesAt}${outlook}`)
        : result('market-hours', 'warning', `NSE is closed (${status.reason}); services start and wait for ticks${outlook}`);
    },

    async hasValidSession(): Promise<boolean> {
      return (await storedSession()).valid;
    },

    async getAuthTimeoutSeconds(): Promise<number> {
      return config.auth.timeoutSeconds;
    },
  };

  async function storedSession() {
    try {
      return await checkStoredSession({ config, pool: deps.resources.postgres(), kiteCalls: redisKiteCallMeter(deps.resources.redis()) });
    } catch (error) {
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return { valid: false as const, reason: 'no session table yet' };
      throw error;
    }
  }
}

/**
 * Mock mode ticks at any hour, but the paper engine keeps the session's rules: after the auto
 * square-off time nothing an MIS strategy signals fills until the next day, which would look
 * like a broken pipeline without this.
 */
function paperSessionOver(now: Date): string {
  const date = tradingDate(now.toISOString());
  if (now.getTime() < squareOffMs(date)) return '';
  return `; mock mode: the paper engine refuses MIS orders after ${squareOffText(date)} and expires entries at the close until the next session; CLOCK__OFFSET_MS shifts mock mode's clock into a session`;
}

/** In December, a reminder when the calendar has no file for the coming year yet. */
function calendarOutlook(date: string, years: readonly number[]): string {
  const next = Number(date.slice(0, 4)) + 1;
  if (date.slice(5, 7) !== '12' || years.includes(next)) return '';
  return `; the market calendar ends on ${next - 1}-12-31: add core/domain/calendar/nse-${next}.json (or a file in CALENDAR__DIR) once NSE publishes its ${next} holidays`;
}

function hostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}`;
}

export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
