import { describe, expect, it } from 'vitest';
import type { PnlSnapshot } from '../../core/domain/events';
import type { FillRow, OrderRow } from '../../core/postgres/trades';
import { formatPortfolio, netPnl } from './portfolio';
import { formatFills, formatOrders } from './trades';

const order: OrderRow = {
  orderId: 'o-1',
  strategyId: 'momentum_reliance',
  instrumentToken: 738561,
  tradingsymbol: 'RELIANCE',
  side: 'BUY',
  product: 'MIS',
  orderType: 'LIMIT',
  quantity: 3,
  filledQuantity: 2,
  limitPricePaise: 150_005,
  triggerPricePaise: null,
  averagePricePaise: 149_995,
  status: 'OPEN',
  parentOrderId: null,
  failureReason: null,
  submittedAt: new Date('2026-12-01T03:45:01Z'),
  updatedAt: new Date('2026-12-01T03:45:02Z'),
};

const fill: FillRow = {
  fillId: 'f-1',
  orderId: 'o-1',
  strategyId: 'momentum_reliance',
  instrumentToken: 738561,
  tradingsymbol: null,
  side: 'SELL',
  quantity: 3,
  pricePaise: 150_005,
  chargesPaise: 1_234,
  charges: { total: 1_234 },
  filledAt: new Date('2026-12-01T09:59:59Z'),
};

describe('orders and fills tables', () => {
  it('show exact rupees, IST times and a blank for a price that does not apply', () => {
    const [header, row] = formatOrders([{ ...order, limitPricePaise: null }]).split('\n');
    expect(header).toMatch(/^submitted \(IST\)\s+order\s+strategy/);
    expect(row).toMatch(/^2026-12-01 09:15:01\s+o-1\s+momentum_reliance\s+RELIANCE\s+BUY\s+MIS\s+LIMIT\s+3\s+2\s+1499\.95\s+OPEN$/);
  });

  it('show the value of a fill exactly and the token when no symbol is known', () => {
    const row = formatFills([fill]).split('\n')[1];
    expect(row).toMatch(/^2026-12-01 15:29:59\s+f-1\s+o-1\s+momentum_reliance\s+738561\s+SELL\s+3\s+1500\.05\s+4500\.15\s+12\.34$/);
  });

  it('say so when there is nothing', () => {
    expect(formatOrders([])).toBe('no orders');
    expect(formatFills([])).toBe('no fills');
  });
});

describe('portfolio', () => {
  const view: PnlSnapshot = {
    strategyId: 'rsi_tcs',
    cash: 99_690_005,
    realizedPnl: 1_005,
    unrealizedPnl: -300,
    chargesPaid: 1_234,
    positions: [{ instrumentToken: 2953217, quantity: 1, averagePrice: 310_000, lastPrice: 309_700, realizedPnl: 0, unrealizedPnl: -300 }],
    asOf: '2026-12-01T04:00:00.000Z',
  };

  it('nets P&L after charges, in paise', () => {
    expect(netPnl(view)).toBe(1_005 - 300 - 1_234);
  });

  it('shows each strategy and each position in rupees', () => {
    const text = formatPortfolio([view], new Map([[2953217, 'TCS']]));
    expect(text).toMatch(/rsi_tcs\s+996900\.05\s+10\.05\s+-3\.00\s+12\.34\s+-5\.29\s+1\s+2026-12-01 09:30:00/);
    expect(text).toMatch(/rsi_tcs\s+TCS\s+1\s+3100\.00\s+3097\.00\s+0\.00\s+-3\.00/);
  });
});
