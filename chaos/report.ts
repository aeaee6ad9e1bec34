// The suite's table: one row per case, and below it the notes, and what differs from the baseline.
export interface FigureDifference {
  figure: string;
  missing: number;
  extra: number;
  examples: string[];
}

export interface CaseRow {
  fault: string;
  recoverMs: number | null;
  lost: number | null;
  duplicated: number | null;
  /** Same event id at a new offset after a crash: deduplicated downstream, shown for context. */
  redelivered?: number;
  /** The input against the baseline's: must be empty. */
  inputDiffers: FigureDifference[];
  /** The outputs against the baseline's: must be empty (paper is a function of its input). */
  differs: FigureDifference[];
  notes: string[];
  counts?: Record<string, number>;
}

const describe = (differences: readonly FigureDifference[]) => differences.map((d) => `${d.figure} (-${d.missing} +${d.extra})`).join(', ');

const cell = (value: number | null, format: (n: number) => string = String) => (value === null ? '-' : format(value));

export function formatTable(rows: readonly CaseRow[]): string {
  const header = ['fault', 'time to recover', 'events lost', 'events duplicated', 'redelivered', 'input vs baseline', 'outputs vs baseline'];
  const body = rows.map((row) => [
    row.fault,
    cell(row.recoverMs, (ms) => `${(ms / 1000).toFixed(1)} s`),
    cell(row.lost),
    cell(row.duplicated),
    cell(row.redelivered ?? null),
    row.lost === null ? '-' : row.inputDiffers.length === 0 ? 'equal' : `DIFFERS: ${describe(row.inputDiffers)}`,
    row.lost === null ? '-' : row.differs.length === 0 ? 'equal' : `DIFFERS: ${describe(row.differs)}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => text.padEnd(widths[i]!)).join(' | ');
  const details = rows.flatMap((row) => {
    const lines = [
      ...row.notes,
      ...(row.counts ? [`counts: ${JSON.stringify(row.counts)}`] : []),
      ...row.inputDiffers.flatMap((d) => d.examples.map((example) => `input ${d.figure}: ${example}`)),
      ...row.differs.flatMap((d) => d.examples.map((example) => `output ${d.figure}: ${example}`)),
    ];
    return lines.length === 0 ? [] : [`${row.fault}:`, ...lines.map((text) => `  ${text.slice(0, 200)}`)];
  });
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '', ...details].join('\n');
}
