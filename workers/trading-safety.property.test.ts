// Property test of the trading path as one pure composition: the risk manager's decisions
// (decideBatch), the paper broker behind the engine's port, and the portfolio's books, fed random
// sequences of ticks, signals, kill-switch changes and the close of the day. Every report of the
// broker reaches risk and the portfolio at once, as the log would deliver it eventually.
//
// After every step:
//   - no strategy-instrument position exceeds its limit, nor would it with every pending order
//     on one side filled (risk counts approved, unfilled orders);
//   - no exit (take-profit, stop-loss, square-off) ever increases exposure or flips a position in
//     its product (Zerodha keeps MIS and CNC positions of an instrument apart; risk limits the
//     net of both);
//   - the strategy's free cash (cash + positions at cost - the margin they block) never goes
//     negative: nothing is bought or shorted beyond what cash and margin allow;
//   - the portfolio's positions always equal the sum of the fills, and so do the broker's own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type Envelope, type Signal } from '../core/domain/events';
import { orderIdFor, riskDecisionId } from '../core/domain/ids';
import { namespaceTopics } from '../core/domain/topics';
import { applyFill, createPortfolio, type PortfolioState } from '../core/domain/trading/portfolio';
import { freeCash } from '../core/domain/trading/paper-positions';
import { createRiskState, pendingOf, recordTick, type RiskLimits, type RiskState } from '../core/domain/trading/risk';
import { makeSignal, makeTick, RELIANCE } from '../core/domain/trading/testing';
import type { KillSwitchStatus } from '../core/redis/kill-switch';
import { decideBatch, type RiskInput } from '../services/risk-manager/decide';
import type { ExecutionReport, TradingContext } from '../services/trading-engine/broker';
import { createPaperBrokerAdapter, type PaperAccountState } from '../services/trading-engine/paper-broker-adapter';

const STRATEGIES = ['s1', 's2'] as const;
const MIS_LEVERAGE = 5;
const START_CASH = 2_000_000; // ₹20,000: small, so cash and margin refusals happen
const LIMITS: RiskLimits = {
  maxPositionPerInstrument: 30,
  maxOrderValue: 10_000_000,
  maxDailyTradesPerStrategy: 1_000,
  priceBandBps: 300,
  maxDailyLossPerStrategy: 100_000_000,
};
// Monday 23 November 2026, a trading day: 10:00 IST, stepping 30 s of event time per action,
// so long sequences reach the 15:20 square-off and the 15:30 close.
const DAY_START = Date.parse('2026-11-23T10:00:00+05:30');
const STEP_MS = 30_000;

type Action =
  | { kind: 'tick'; move: number }
  | { kind: 'signal'; strategy: 0 | 1; side: 'BUY' | 'SELL'; quantity: number; orderType: 'MARKET' | 'LIMIT'; offset: number; product: 'MIS' | 'CNC'; exits: boolean }
  | { kind: 'kill-switch'; active: boolean }
  | { kind: 'close' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), move: fc.integer({ min: -40, max: 40 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('signal' as const),
      strategy: fc.constantFrom(0 as const, 1 as const),
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
      quantity: fc.integer({ min: 1, max: 25 }),
      orderType: fc.constantFrom('MARKET' as const, 'LIMIT' as const),
      offset: fc.integer({ min: -10, max: 10 }),
      product: fc.constantFrom('MIS' as const, 'CNC' as const),
      exits: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill-switch' as const), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
);

const key = (strategyId: string, instrumentToken: number) => `${strategyId}:${instrumentToken}`;
const signedOf = (side: 'BUY' | 'SELL', quantity: number) => (side === 'BUY' ? quantity : -quantity);

class Simulation {
  private readonly broker = createPaperBrokerAdapter({ startingCash: START_CASH, slippageBps: 5, slippageJitterBps: 3, latencyMs: 0, seed: 11, misLeverage: MIS_LEVERAGE });
  private brokerState: PaperAccountState = this.broker.initialState();
  private risk: RiskState;
  private readonly books = new Map<string, PortfolioState>(STRATEGIES.map((id) => [id, createPortfolio(START_CASH)]));
  /** strategy-instrument -> signed sum of every fill reported. */
  readonly filled = new Map<string, number>();
  /** strategy-instrument-product -> signed sum of every fill reported. */
  private readonly filledByProduct = new Map<string, number>();
  /** The orders placed for approved signals; every other order is the engine's own exit or square-off. */
  private readonly entries = new Set<string>();
  private killSwitch: KillSwitchStatus = { active: false, reason: null, setAt: null };
  private price = 250_000;
  private clock = DAY_START;

  constructor() {
    this.risk = recordTick(createRiskState(this.at()), makeTick(this.price), this.at());
  }

  private at(): string {
    return new Date(this.clock).toISOString();
  }

  private context(): TradingContext {
    return { halted: this.killSwitch.active ? 'kill switch on: new exposure halted (property test)' : null };
  }

  run(step: Action): void {
    this.clock += step.kind === 'close' ? Math.max(STEP_MS, Date.parse('2026-11-23T15:30:00+05:30') - this.clock) : STEP_MS;
    if (step.kind === 'kill-switch') {
      this.killSwitch = { active: step.active, reason: step.active ? 'property test' : null, setAt: this.at() };
      return;
    }
    if (step.kind === 'signal') return this.signal(step);
    if (step.kind === 'tick') this.price = Math.max(200_000, Math.min(300_000, this.price + step.move * 50));
    const tick = makeTick(this.price, { exchangeTimestamp: this.at(), lastTradeTime: this.at() });
    this.risk = recordTick(this.risk, tick, this.at());
    const result = this.broker.onTick(this.brokerState, tick, this.at(), this.context());
    this.brokerState = result.state;
    this.deliver(result.reports);
  }

  private signal(step: Extract<Action, { kind: 'signal' }>): void {
    const data: Partial<Signal> = {
      strategyId: STRATEGIES[step.strategy],
      side: step.side,
      quantity: step.quantity,
      orderType: step.orderType,
      product: step.product,
      referencePrice: this.price,
    };
    if (step.orderType === 'LIMIT') data.limitPrice = this.price + step.offset * 50;
    if (step.exits && step.side === 'BUY') Object.assign(data, { stopLossPrice: this.price - 1_000, takeProfitPrice: this.price + 1_000 });
    if (step.exits && step.side === 'SELL') Object.assign(data, { stopLossPrice: this.price + 1_000, takeProfitPrice: this.price - 1_000 });
    const raw = createEvent({ type: 'signal_generated', source: 'property', namespace: 'paper', data: makeSignal(data), now: new Date(this.clock) });
    const decided = decideBatch(this.risk, [raw], {
      namespace: 'paper',
      topics: namespaceTopics('paper'),
      limitsOf: () => LIMITS,
      now: new Date(this.clock),
      killSwitch: this.killSwitch,
    });
    this.risk = decided.state;
    const validated = decided.outputs.find((o) => o.envelope.type === 'signal_validated');
    if (!validated) return;
    const envelope = validated.envelope as Envelope<'signal_validated'>;
    expect(envelope.id).toBe(riskDecisionId(raw.id));
    const orderId = orderIdFor(envelope.id);
    this.entries.add(orderId);
    const result = this.broker.submit(
      this.brokerState,
      { validated: envelope.data, orderId, submittedAt: this.at(), correlationId: envelope.correlationId },
      this.context(),
    );
    this.brokerState = result.state;
    this.deliver(result.reports);
  }

  /** Hands every report to risk and to the portfolio, checking what exits do on the way. */
  private deliver(reports: readonly ExecutionReport[]): void {
    const inputs: RiskInput[] = [];
    for (const report of reports) {
      if (report.type === 'order_submitted') continue;
      const envelope = createEvent({ type: report.type, source: 'property', namespace: 'paper', data: report.data, now: new Date(this.clock) } as never) as RiskInput;
      inputs.push(envelope);
      if (report.type !== 'order_filled') continue;
      const fill = report.data;
      const field = key(fill.strategyId, fill.instrumentToken);
      const signed = signedOf(fill.side, fill.quantity);
      const productField = `${field}:${fill.product}`;
      const before = this.filledByProduct.get(productField) ?? 0;
      const after = before + signed;
      if (!this.entries.has(fill.orderId)) {
        // An exit only ever closes: never larger in size, never the other way.
        expect(Math.abs(after), `exit ${fill.orderId} grew ${productField} from ${before}`).toBeLessThanOrEqual(Math.abs(before));
        expect(Math.sign(after) * Math.sign(before), `exit ${fill.orderId} flipped ${productField}`).not.toBe(-1);
      }
      this.filledByProduct.set(productField, after);
      this.filled.set(field, (this.filled.get(field) ?? 0) + signed);
      this.books.set(fill.strategyId, applyFill(this.books.get(fill.strategyId)!, fill));
    }
    if (inputs.length === 0) return;
    this.risk = decideBatch(this.risk, inputs, {
      namespace: 'paper',
      topics: namespaceTopics('paper'),
      limitsOf: () => LIMITS,
      now: new Date(this.clock),
      killSwitch: this.killSwitch,
    }).state;
  }

  checkInvariants(): void {
    for (const strategyId of STRATEGIES) {
      const field = key(strategyId, RELIANCE);
      const position = this.filled.get(field) ?? 0;
      const pending = pendingOf(this.risk, strategyId, RELIANCE);
      expect(Math.abs(position), `${field} filled`).toBeLessThanOrEqual(LIMITS.maxPositionPerInstrument);
      expect(position + pending.buy, `${field} with pending buys`).toBeLessThanOrEqual(LIMITS.maxPositionPerInstrument);
      expect(position - pending.sell, `${field} with pending sells`).toBeGreaterThanOrEqual(-LIMITS.maxPositionPerInstrument);

      const cash = this.brokerState.cash[strategyId] ?? START_CASH;
      expect(freeCash(cash, this.brokerState.positions, strategyId, MIS_LEVERAGE), `${strategyId} free cash`).toBeGreaterThanOrEqual(0);

      const book = this.books.get(strategyId)!;
      expect(book.positions[String(RELIANCE)]?.quantity ?? 0, `${field} in the portfolio`).toBe(position);
      expect(book.cash, `${strategyId} cash: broker vs portfolio`).toBe(cash);
      const held = Object.values(this.brokerState.positions)
        .filter((p) => p.strategyId === strategyId && p.instrumentToken === RELIANCE)
        .reduce((sum, p) => sum + p.quantity, 0);
      expect(held, `${field} in the broker`).toBe(position);
      expect(this.risk.strategies[strategyId]?.positions[String(RELIANCE)] ?? 0, `${field} in risk`).toBe(position);
    }
  }
}

describe('trading safety over random sequences of ticks, signals and kill-switch changes', () => {
  it('keeps positions within limits counting pending orders, exits reduce-only, free cash non-negative, books equal to fills', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), (actions) => {
        const simulation = new Simulation();
        for (const step of actions) {
          simulation.run(step);
          simulation.checkInvariants();
        }
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });
});
