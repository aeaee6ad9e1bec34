// Loads the sample instruments and strategies. Idempotent: running it again leaves the same rows.
// Instruments are reference data and are brought back to the seed values (except a last price
// the feed has since recorded); strategies are only ever inserted, so a trader's edits to a
// seeded strategy (parameters, switching it off) survive a re-seed.
import { BROKER_NAMESPACES } from '../domain/namespace';
import { withTransaction, type Pool, type Queryable } from './pool';
import { SEED_INSTRUMENT_DEFAULTS, SEED_INSTRUMENTS, SEED_STRATEGIES, seedStrategyIsActive } from './seed-data';

export interface SeedResult {
  instruments: { inserted: number; updated: number; unchanged: number };
  strategies: { inserted: number; existing: number };
}

// `xmax = 0` holds for a row this statement inserted and not for one it updated; rows the WHERE
// clause left alone are not returned at all.
const UPSERT_INSTRUMENT = `
  INSERT INTO instruments AS current
    (instrument_token, exchange_token, tradingsymbol, name, exchange, segment, instrument_type,
     tick_size_paise, lot_size, last_price_paise)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (instrument_token) DO UPDATE SET
    exchange_token = EXCLUDED.exchange_token,
    tradingsymbol = EXCLUDED.tradingsymbol,
    name = EXCLUDED.name,
    exchange = EXCLUDED.exchange,
    segment = EXCLUDED.segment,
    instrument_type = EXCLUDED.instrument_type,
    tick_size_paise = EXCLUDED.tick_size_paise,
    lot_size = EXCLUDED.lot_size,
    last_price_paise = COALESCE(current.last_price_paise, EXCLUDED.last_price_paise)
  WHERE (current.exchange_token, current.tradingsymbol, current.name, current.exchange, current.segment,
         current.instrument_type, current.tick_size_paise, current.lot_size)
        IS DISTINCT FROM
        (EXCLUDED.exchange_token, EXCLUDED.tradingsymbol, EXCLUDED.name, EXCLUDED.exchange, EXCLUDED.segment,
         EXCLUDED.instrument_type, EXCLUDED.tick_size_paise, EXCLUDED.lot_size)
     OR current.last_price_paise IS NULL
  RETURNING (xmax = 0) AS inserted`;

const INSERT_STRATEGY = `
  INSERT INTO strategy_configurations
    (namespace, id, name, strategy_type, instruments, parameters, risk_limits, is_active)
  VALUES ($1, $2, $3, $4, $5::integer[], $6::jsonb, $7::jsonb, $8)
  ON CONFLICT (namespace, id) DO NOTHING
  RETURNING id`;

async function seedInstruments(db: Queryable): Promise<SeedResult['instruments']> {
  const result = { inserted: 0, updated: 0, unchanged: 0 };
  const d = SEED_INSTRUMENT_DEFAULTS;
  for (const instrument of SEED_INSTRUMENTS) {
    const { rows } = await db.query<{ inserted: boolean }>(UPSERT_INSTRUMENT, [
      instrument.instrumentToken,
      instrument.exchangeToken,
      instrument.tradingsymbol,
      instrument.name,
      d.exchange,
      d.segment,
      d.instrumentType,
      d.tickSizePaise,
      d.lotSize,
      instrument.referencePricePaise,
    ]);
    const row = rows[0];
    if (!row) result.unchanged++;
    else if (row.inserted) result.inserted++;
    else result.updated++;
  }
  return result;
}

async function seedStrategies(db: Queryable): Promise<SeedResult['strategies']> {
  const result = { inserted: 0, existing: 0 };
  for (const namespace of BROKER_NAMESPACES) {
    for (const strategy of SEED_STRATEGIES) {
      const { rowCount } = await db.query(INSERT_STRATEGY, [
        namespace,
        strategy.id,
        strategy.name,
        strategy.strategyType,
        strategy.instruments,
        JSON.stringify(strategy.parameters),
        JSON.stringify(strategy.riskLimits),
        seedStrategyIsActive(namespace),
      ]);
      if (rowCount === 1) result.inserted++;
      else result.existing++;
    }
  }
  return result;
}

/** Seeds instruments and both namespaces' strategies in one transaction; returns what changed. */
export async function seedDatabase(pool: Pool): Promise<SeedResult> {
  return withTransaction(pool, async (client) => ({
    instruments: await seedInstruments(client),
    strategies: await seedStrategies(client),
  }));
}
