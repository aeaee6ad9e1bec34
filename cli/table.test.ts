import { describe, expect, it } from 'vitest';
import { formatTable, istCell, rupeeCell } from './table';

describe('formatTable', () => {
  it('pads text left and figures right, so that amounts line up', () => {
    const table = formatTable(
      [{ header: 'strategy' }, { header: 'cash', align: 'right' }],
      [
        ['momentum_reliance', '1000000.00'],
        ['rsi', '-5.05'],
      ],
    );
    expect(table.split('\n')).toEqual(['strategy                 cash', 'momentum_reliance  1000000.00', 'rsi                     -5.05']);
  });

  it('says so when there is nothing to show', () => {
    expect(formatTable([{ header: 'id' }], [])).toBe('(none)');
    expect(formatTable([{ header: 'id' }], [], 'no orders')).toBe('no orders');
  });

  it('leaves no trailing blanks after a short last column', () => {
    const table = formatTable([{ header: 'id' }, { header: 'reason' }], [['a', 'a long reason'], ['b', '']]);
    expect(table.split('\n').every((line) => line === line.trimEnd())).toBe(true);
  });
});

describe('cells', () => {
  it('shows paise as exact rupees and a missing amount as blank', () => {
    expect(rupeeCell(123_456)).toBe('1234.56');
    expect(rupeeCell(-5)).toBe('-0.05');
    expect(rupeeCell(90_071_992_547_409)).toBe('900719925474.09');
    expect(rupeeCell(null)).toBe('');
  });

  it('shows instants in IST', () => {
    expect(istCell('2026-12-01T03:45:03.250Z')).toBe('2026-12-01 09:15:03');
    expect(istCell(new Date('2026-12-01T18:30:00Z'))).toBe('2026-12-02 00:00:00');
  });
});
