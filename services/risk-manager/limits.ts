// The limits the risk manager applies: the namespace defaults from configuration (RISK__*) with
// each strategy's `risk_limits` column on top. The strategies' overrides are read from
// `strategy_configurations` at start and re-read in the background every
// STRATEGIES__REFRESH_INTERVAL_MS. Every strategy of the namespace is read, active or not, so a
// signal still in flight when its strategy is switched off meets the same limits.
//
// A `risk_limits` value that does not validate is logged as an error naming the strategy; until it
// is fixed the strategy keeps the last valid overrides seen (the defaults if none). The strategy
// runner refuses to run such a strategy, so it emits no new signals meanwhile.
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { Config } from '../../core/config/load';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { limitsFor, riskLimitsOverrideSchema, type RiskLimits, type RiskLimitsOverride } from '../../core/domain/trading/risk';

const SELECT_RISK_LIMITS = `
  select id, risk_limits from strategy_configurations where namespace = $1 order by id`;

/** The namespace defaults, from RISK__* configuration. */
export function configuredRiskLimits(config: Pick<Config, 'risk'>): RiskLimits {
  const { risk } = config;
  return {
    maxPositionPerInstrument: risk.maxPositionPerInstrument,
    maxOrderValue: risk.maxOrderValuePaise,
    maxDailyTradesPerStrategy: risk.maxDailyTradesPerStrategy,
    priceBandBps: risk.priceBandBps,
    maxDailyLossPerStrategy: risk.maxDailyLossPerStrategyPaise,
  };
}

export class RiskLimitsCatalog {
  private overrides = new Map<string, RiskLimitsOverride>();
  /** The raw column text last seen per strategy, so an unchanged bad value is logged once. */
  private seen = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    private readonly namespace: BrokerNamespace,
    private readonly defaults: RiskLimits,
    private readonly log: Logger,
  ) {}

  limitsOf(strategyId: string): RiskLimits {
    return limitsFor(this.defaults, this.overrides.get(strategyId));
  }

  get strategyCount(): number {
    return this.overrides.size;
  }

  async refresh(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; risk_limits: unknown }>(SELECT_RISK_LIMITS, [this.namespace]);
    const overrides = new Map<string, RiskLimitsOverride>();
    const seen = new Map<string, string>();
    for (const row of rows) {
      const text = JSON.stringify(row.risk_limits);
      seen.set(row.id, text);
      const parsed = riskLimitsOverrideSchema.safeParse(row.risk_limits ?? {});
      if (parsed.success) {
        overrides.set(row.id, parsed.data);
        continue;
      }
      const kept = this.overrides.get(row.id);
      if (kept) overrides.set(row.id, kept);
      if (this.seen.get(row.id) !== text) {
        const issues = parsed.error.issues.map((issue) => `riskLimits.${issue.path.join('.')}: ${issue.message}`);
        this.log.error(
          { strategyId: row.id, issues },
          `invalid risk_limits of strategy ${row.id} (${issues.join('; ')}); ` +
            (kept ? 'keeping its previous limits' : 'applying the namespace defaults'),
        );
      }
    }
    this.overrides = overrides;
    this.seen = seen;
  }
}
