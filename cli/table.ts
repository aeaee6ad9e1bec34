// Tables for the terminal, shared by the CLI's listing commands: columns padded to their widest
// cell, figures right-aligned so that rupee amounts line up on the decimal point, and the cell
// text formatters every listing uses (rupees from paise, IST times).
import { formatIst } from '../core/domain/market-hours';
import { formatRupees, paise } from '../core/domain/money';

export interface Column {
  header: string;
  /** Figures (amounts, quantities) are right-aligned; text is left-aligned. */
  align?: 'left' | 'right';
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        return column.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n');
}

/** Exact rupees of an amount in paise ("1234.50"); blank for an amount that does not apply. */
export const rupeeCell = (amount: number | null | undefined): string => (amount === null || amount === undefined ? '' : formatRupees(paise(amount)));

/** An instant as IST wall-clock time, "2026-12-01 09:15:03" (the column header says IST). */
export const istCell = (instant: Date | string): string => formatIst(new Date(instant)).slice(0, 19).replace('T', ' ');

/** Prints machine-readable output: one JSON document. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
