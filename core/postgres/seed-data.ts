// Sample data for a fresh installation: liquid NSE equities with their Kite instrument tokens,
// and a few strategies per broker namespace. Kite's NSE instrument token is the exchange token
// times 256 plus the segment id (1 for NSE equity), which the unit test checks for every row.
import type { BrokerNamespace } from '../domain/namespace';

export interface SeedInstrument {
  instrumentToken: number;
  exchangeToken: number;
  tradingsymbol: string;
  name: string;
  /** An approximate recent price, a starting point for the simulated feed (paise). */
  referencePricePaise: number;
}

const NSE_EQUITY = { exchange: 'NSE', segment: 'NSE', instrumentType: 'EQ', tickSizePaise: 5, lotSize: 1 } as const;
export const SEED_INSTRUMENT_DEFAULTS = NSE_EQUITY;

export const SEED_INSTRUMENTS: readonly SeedInstrument[] = [
  { instrumentToken: 738561, exchangeToken: 2885, tradingsymbol: 'RELIANCE', name: 'RELIANCE INDUSTRIES', referencePricePaise: 150_000 },
  { instrumentToken: 2953217, exchangeToken: 11536, tradingsymbol: 'TCS', name: 'TATA CONSULTANCY SERVICES', referencePricePaise: 310_000 },
  { instrumentToken: 408065, exchangeToken: 1594, tradingsymbol: 'INFY', name: 'INFOSYS', referencePricePaise: 150_000 },
  { instrumentToken: 341249, exchangeToken: 1333, tradingsymbol: 'HDFCBANK', name: 'HDFC BANK', referencePricePaise: 99_000 },
  { instrumentToken: 1270529, exchangeToken: 4963, tradingsymbol: 'ICICIBANK', name: 'ICICI BANK', referencePricePaise: 138_000 },
  { instrumentToken: 779521, exchangeToken: 3045, tradingsymbol: 'SBIN', name: 'STATE BANK OF INDIA', referencePricePaise: 96_000 },
  { instrumentToken: 424961, exchangeToken: 1660, tradingsymbol: 'ITC', name: 'ITC', referencePricePaise: 40_500 },
  { instrumentToken: 356865, exchangeToken: 1394, tradingsymbol: 'HINDUNILVR', name: 'HINDUSTAN UNILEVER', referencePricePaise: 245_000 },
  { instrumentToken: 492033, exchangeToken: 1922, tradingsymbol: 'KOTAKBANK', name: 'KOTAK MAHINDRA BANK', referencePricePaise: 210_000 },
  { instrumentToken: 2939649, exchangeToken: 11483, tradingsymbol: 'LT', name: 'LARSEN & TOUBRO', referencePricePaise: 400_000 },
  { instrumentToken: 1510401, exchangeToken: 5900, tradingsymbol: 'AXISBANK', name: 'AXIS BANK', referencePricePaise: 127_000 },
  { instrumentToken: 2714625, exchangeToken: 10604, tradingsymbol: 'BHARTIARTL', name: 'BHARTI AIRTEL', referencePricePaise: 210_000 },
  { instrumentToken: 60417, exchangeToken: 236, tradingsymbol: 'ASIANPAINT', name: 'ASIAN PAINTS', referencePricePaise: 290_000 },
  { instrumentToken: 2815745, exchangeToken: 10999, tradingsymbol: 'MARUTI', name: 'MARUTI SUZUKI INDIA', referencePricePaise: 1_590_000 },
  { instrumentToken: 81153, exchangeToken: 317, tradingsymbol: 'BAJFINANCE', name: 'BAJAJ FINANCE', referencePricePaise: 100_000 },
  { instrumentToken: 969473, exchangeToken: 3787, tradingsymbol: 'WIPRO', name: 'WIPRO', referencePricePaise: 24_500 },
  { instrumentToken: 1850625, exchangeToken: 7229, tradingsymbol: 'HCLTECH', name: 'HCL TECHNOLOGIES', referencePricePaise: 160_000 },
  { instrumentToken: 857857, exchangeToken: 3351, tradingsymbol: 'SUNPHARMA', name: 'SUN PHARMACEUTICAL INDUSTRIES', referencePricePaise: 178_000 },
  { instrumentToken: 897537, exchangeToken: 3506, tradingsymbol: 'TITAN', name: 'TITAN COMPANY', referencePricePaise: 385_000 },
  { instrumentToken: 2952193, exchangeToken: 11532, tradingsymbol: 'ULTRACEMCO', name: 'ULTRATECH CEMENT', referencePricePaise: 1_170_000 },
];

const token = (symbol: string): number => {
  const instrument = SEED_INSTRUMENTS.find((candidate) => candidate.tradingsymbol === symbol);
  if (!instrument) throw new Error(`seed instrument ${symbol} is not in SEED_INSTRUMENTS`);
  return instrument.instrumentToken;
};

export type SeedStrategyType = 'momentum' | 'mean_reversion' | 'rsi' | 'low_frequency_demo';

export interface SeedStrategy {
  id: string;
  name: string;
  strategyType: SeedStrategyType;
  instruments: number[];
  parameters: Record<string, number>;
  riskLimits: Record<string, number>;
}

/**
 * Per-strategy overrides of the namespace's risk limits (RISK__*), in the names of the domain's
 * risk limits schema (core/domain/trading/risk/limits.ts): shares and paise.
 */
const SAMPLE_RISK_LIMITS = {
  maxPositionPerInstrument: 10,
  maxOrderValue: 5_000_000, // ₹50,000
  maxDailyLossPerStrategy: 1_000_000, // ₹10,000
};

export const SEED_STRATEGIES: readonly SeedStrategy[] = [
  {
    id: 'momentum_reliance',
    name: 'Momentum on RELIANCE',
    strategyType: 'momentum',
    instruments: [token('RELIANCE')],
    parameters: { lookbackTicks: 20, thresholdBps: 15, quantity: 1 },
    riskLimits: SAMPLE_RISK_LIMITS,
  },
  {
    id: 'mean_reversion_infy',
    name: 'Mean reversion on INFY',
    strategyType: 'mean_reversion',
    instruments: [token('INFY')],
    parameters: { rsiPeriod: 14, bandPeriod: 20, bandStdDev: 2, oversold: 30, overbought: 70, quantity: 1 },
    riskLimits: SAMPLE_RISK_LIMITS,
  },
  {
    id: 'rsi_tcs',
    name: 'RSI on TCS',
    strategyType: 'rsi',
    instruments: [token('TCS')],
    parameters: { period: 14, oversold: 30, overbought: 70, quantity: 1 },
    riskLimits: SAMPLE_RISK_LIMITS,
  },
  {
    id: 'low_frequency_demo',
    name: 'Low-frequency demo (a signal every N ticks)',
    strategyType: 'low_frequency_demo',
    instruments: [token('RELIANCE'), token('HDFCBANK')],
    parameters: { everyTicks: 50, quantity: 1 },
    riskLimits: SAMPLE_RISK_LIMITS,
  },
];

/**
 * Sample strategies start active in paper trading only. In the zerodha namespace they would
 * place real orders, so they are seeded inactive and a trader switches them on deliberately.
 */
export function seedStrategyIsActive(namespace: BrokerNamespace): boolean {
  return namespace === 'paper';
}
