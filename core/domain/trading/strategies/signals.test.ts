import { describe, expect, it } from 'vitest';
import { held } from '../testing';
import { intentFor } from './signals';
import type { CommonParameters } from './types';

const parameters = (overrides: Partial<CommonParameters> = {}): CommonParameters => ({
  quantity: 10,
  product: 'MIS',
  orderType: 'LIMIT',
  allowShort: false,
  tickSize: 5,
  ...overrides,
});

describe('intentFor', () => {
  it('opens when flat with nothing pending', () => {
    expect(intentFor('BUY', parameters(), held(0))).toEqual({ side: 'BUY', quantity: 10, opening: true });
    expect(intentFor('SELL', parameters({ allowShort: true }), held(0))).toEqual({ side: 'SELL', quantity: 10, opening: true });
    expect(intentFor('SELL', parameters(), held(0))).toBeNull();
  });

  it('does not enter a second time while an entry is pending', () => {
    expect(intentFor('BUY', parameters(), held(0, { buy: 10 }))).toBeNull();
    expect(intentFor('SELL', parameters({ allowShort: true }), held(0, { sell: 10 }))).toBeNull();
  });

  it('does not open the other way while an entry is pending, nor sell what is not held yet', () => {
    // A resting BUY is not a long: selling against it would be a short if it never fills.
    expect(intentFor('SELL', parameters({ allowShort: true }), held(0, { buy: 10 }))).toBeNull();
    expect(intentFor('BUY', parameters({ allowShort: true }), held(0, { sell: 10 }))).toBeNull();
  });

  it('exits only what is held net of the exits already pending', () => {
    expect(intentFor('SELL', parameters(), held(10))).toEqual({ side: 'SELL', quantity: 10, opening: false });
    expect(intentFor('SELL', parameters(), held(10, { sell: 10 }))).toBeNull();
    expect(intentFor('SELL', parameters(), held(10, { sell: 4 }))).toEqual({ side: 'SELL', quantity: 6, opening: false });
    expect(intentFor('BUY', parameters({ allowShort: true }), held(-10, { buy: 10 }))).toBeNull();
    expect(intentFor('BUY', parameters({ allowShort: true }), held(-10, { buy: 3 }))).toEqual({ side: 'BUY', quantity: 7, opening: false });
  });

  it('closes the filled part of a partly filled entry, never the part still resting', () => {
    expect(intentFor('SELL', parameters(), held(4, { buy: 6 }))).toEqual({ side: 'SELL', quantity: 4, opening: false });
    expect(intentFor('BUY', parameters(), held(4, { buy: 6 }))).toBeNull();
  });
});
