// The pre-trade risk rules. Each is a small pure function with a stable string id; every rule runs
// for every signal so the decision records all results, passed or not, with a human detail.
import type { RuleResult, Signal } from '../../events';
import { formatRupees, paise, times, type Paise } from '../../money';
import { withinBps } from '../prices';
import type { RiskLimits } from './limits';
import { dailyPnl, type RiskState, type StrategyRiskView } from './state';

export const RISK_RULES = [
  'kill_switch',
  'price_band',
  'max_order_value',
  'max_position_per_instrument',
  'max_daily_trades_per_strategy',
  'max_daily_loss_per_strategy',
] as const;
export type RiskRuleName = (typeof RISK_RULES)[number];

export interface RuleInput {
  signal: Signal;
  limits: RiskLimits;
  state: RiskState;
  /** The instrument's last tick, if one was seen. */
  lastTick: { price: number; at: string } | undefined;
  view: StrategyRiskView;
  /** Signed quantity the strategy holds in the signal's instrument (filled orders). */
  position: number;
  /** Open quantity of the strategy's approved, unfilled orders in the instrument, per side. */
  pending: { buy: number; sell: number };
  /** Price the order is valued at (see evaluate.ts). */
  orderPrice: Paise;
  tradesToday: number;
}

type Rule = (input: RuleInput) => RuleResult;

const result = (rule: RiskRuleName, passed: boolean, detail: string): RuleResult => ({ rule, passed, detail });
const rupeesText = (amount: number) => `₹${formatRupees(paise(amount))}`;

/** True when the order only shrinks the existing position (never flips or grows it). */
export function reducesPosition(position: number, signal: Pick<Signal, 'side' | 'quantity'>): boolean {
  if (signal.side === 'SELL') return position > 0 && signal.quantity <= position;
  return position < 0 && signal.quantity <= -position;
}

/**
 * The position the signal adds to in the worst case: the filled position with every pending order
 * on the signal's side filled too (pending orders on the other side may still be cancelled). A
 * SELL against +10 with a pending SELL 10 builds on 0: it opens a short rather than reducing.
 */
export const exposureBefore = ({ position, pending, signal }: Pick<RuleInput, 'position' | 'pending' | 'signal'>): number =>
  signal.side === 'BUY' ? position + pending.buy : position - pending.sell;

/** Whether the signal only reduces the position, counting pending orders on its side. */
export const isReducing = (input: Pick<RuleInput, 'position' | 'pending' | 'signal'>): boolean =>
  reducesPosition(exposureBefore(input), input.signal);

/** The signal's own price: its limit or trigger when it has one, else the reference price. */
export const signalPrice = (signal: Signal): Paise =>
  paise(signal.limitPrice ?? signal.triggerPrice ?? signal.referencePrice);

// The kill switch halts new exposure; an order that only reduces a position still passes, so a
// strategy (or its operator) can flatten while trading is halted.
const killSwitch: Rule = (input) => {
  const { state } = input;
  if (!state.killSwitch.active) return result('kill_switch', true, 'kill switch is off');
  const on = `kill switch is on${state.killSwitch.reason ? `: ${state.killSwitch.reason}` : ''}`;
  return isReducing(input) ? result('kill_switch', true, `${on} (reduces the position: allowed)`) : result('kill_switch', false, on);
};

const priceBand: Rule = ({ signal, limits, lastTick }) => {
  if (!lastTick) return result('price_band', false, `no tick seen yet for instrument ${signal.instrumentToken}`);
  const price = signalPrice(signal);
  const last = paise(lastTick.price);
  const inBand = withinBps(price, last, last, limits.priceBandBps);
  const distance = ((Math.abs(price - last) * 10_000) / last).toFixed(1);
  return result(
    'price_band',
    inBand,
    `price ${rupeesText(price)} is ${distance} bps from last ${rupeesText(last)} (band ${limits.priceBandBps} bps)`,
  );
};

// An exit is bounded by the position it closes, and a position built from several orders must be
// closable in one: reducing orders pass.
const maxOrderValue: Rule = (input) => {
  const { signal, limits, orderPrice } = input;
  const value = times(orderPrice, signal.quantity);
  const reducing = isReducing(input);
  return result(
    'max_order_value',
    reducing || value <= limits.maxOrderValue,
    `order value ${rupeesText(value)} (${signal.quantity} x ${rupeesText(orderPrice)}) vs limit ${rupeesText(limits.maxOrderValue)}` +
      (reducing ? ' (reduces the position)' : ''),
  );
};

const maxPosition: Rule = (input) => {
  const { signal, limits, position, pending } = input;
  const before = exposureBefore(input);
  const after = before + (signal.side === 'BUY' ? signal.quantity : -signal.quantity);
  const reducing = isReducing(input);
  const passed = reducing || Math.abs(after) <= limits.maxPositionPerInstrument;
  const pendingText = before === position ? '' : ` (${position} filled, ${signal.side === 'BUY' ? pending.buy : pending.sell} pending ${signal.side})`;
  return result(
    'max_position_per_instrument',
    passed,
    `position ${before}${pendingText} -> ${after} vs limit ${limits.maxPositionPerInstrument}${reducing ? ' (reduces the position)' : ''}`,
  );
};

const maxDailyTrades: Rule = (input) => {
  const { limits, tradesToday } = input;
  const reducing = isReducing(input);
  const passed = reducing || tradesToday < limits.maxDailyTradesPerStrategy;
  return result(
    'max_daily_trades_per_strategy',
    passed,
    `${tradesToday} orders approved today vs limit ${limits.maxDailyTradesPerStrategy}` +
      (reducing ? ' (exits are always allowed)' : ''),
  );
};

const maxDailyLoss: Rule = (input) => {
  const { limits, view } = input;
  const pnl = dailyPnl(view);
  const loss = pnl < 0 ? -pnl : 0;
  const reducing = isReducing(input);
  const passed = reducing || loss < limits.maxDailyLossPerStrategy;
  return result(
    'max_daily_loss_per_strategy',
    passed,
    `today's loss ${rupeesText(loss)} (P&L ${rupeesText(pnl)}) vs limit ${rupeesText(limits.maxDailyLossPerStrategy)}` +
      (reducing ? ' (exits are always allowed)' : ''),
  );
};

export const RULES: Readonly<Record<RiskRuleName, Rule>> = {
  kill_switch: killSwitch,
  price_band: priceBand,
  max_order_value: maxOrderValue,
  max_position_per_instrument: maxPosition,
  max_daily_trades_per_strategy: maxDailyTrades,
  max_daily_loss_per_strategy: maxDailyLoss,
};
