// The suite's table: one row per case, and below it what differs from the baseline.
export interface CaseRow {
  fault: string;
  recoverMs: number | null;
  lost: number | null;
  duplicated: number | null;
  /** Same event id at a new offset after a crash: deduplicated downstream, shown for context. */
  redelivered?: number;
  differs: { figure: string; missing: number; extra: number; examples: string[] }[];
  notes: string[];
  counts?: Record<string, number>;
}

const cell = (value: number | null, format: (n: number) => string = String) => (value === null ? '-' : format(value));

export function formatTable(rows: readonly CaseRow[]): string {
  const header = ['fault', 'time to recover', 'events lost', 'events duplicated', 'redelivered', 'differs from baseline'];
  const body = rows.map((row) => [
    row.fault,
    cell(row.recoverMs, (ms) => `${(ms / 1000).toFixed(1)} s`),
    cell(row.lost),
    cell(row.duplicated),
    cell(row.redelivered ?? null),
    row.differs.length === 0 ? 'nothing' : row.differs.map((d) => `${d.figure} (-${d.missing} +${d.extra})`).join(', '),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => text.padEnd(widths[i]!)).join(' | ');
  const details = rows.flatMap((row) => {
    const lines = [...row.notes, ...row.differs.flatMap((d) => d.examples.map((example) => `${d.figure}: ${example}`))];
    return lines.length === 0 ? [] : [`${row.fault}:`, ...lines.map((text) => `  ${text.slice(0, 200)}`)];
  });
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '', ...details].join('\n');
}
