// Risk limits: namespace-wide defaults, optionally tightened or loosened per strategy through the
// strategy's `riskLimits` column. Money in integer paise, quantities in shares.
import { z } from 'zod';

export const riskLimitsSchema = z
  .object({
    /** Largest absolute position (shares) a strategy may hold in one instrument. */
    maxPositionPerInstrument: z.number().int().positive(),
    /** Largest value of one order (quantity x price), in paise. */
    maxOrderValue: z.number().int().positive(),
    /** Orders a strategy may have approved per IST trading day. */
    maxDailyTradesPerStrategy: z.number().int().positive(),
    /** How far a signal's price may be from the instrument's last tick, in basis points. */
    priceBandBps: z.number().int().positive().max(10_000),
    /** Loss (realized + unrealized, after charges) a strategy may reach in a day, in paise. */
    maxDailyLossPerStrategy: z.number().int().positive(),
  })
  .strict();
export type RiskLimits = z.infer<typeof riskLimitsSchema>;

export const riskLimitsOverrideSchema = riskLimitsSchema.partial().strict();
export type RiskLimitsOverride = z.infer<typeof riskLimitsOverrideSchema>;

/** Conservative defaults for a paper account of ₹10 lakh. */
export const DEFAULT_RISK_LIMITS: RiskLimits = Object.freeze({
  maxPositionPerInstrument: 1_000,
  maxOrderValue: 20_000_000, // ₹2,00,000
  maxDailyTradesPerStrategy: 50,
  priceBandBps: 200, // 2%
  maxDailyLossPerStrategy: 2_500_000, // ₹25,000
});

/** The limits that apply to one strategy: its overrides on top of the namespace defaults. */
export function limitsFor(defaults: RiskLimits, override: RiskLimitsOverride | undefined): RiskLimits {
  return { ...defaults, ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)) };
}
