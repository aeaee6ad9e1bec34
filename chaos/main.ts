// `npm run chaos`: the fault-injection suite. Starts its own stack (chaos/stack.ts), runs the
// seeded paper pipeline uninterrupted once (the baseline), then once per fault (chaos/faults.ts),
// and prints and writes (chaos-report.json) a table: fault, time to recover, events lost, events
// duplicated, whether the input and the outputs equal the baseline's (chaos/outcome.ts). Exits 1
// when a case lost or duplicated events, its input or outputs differ from the baseline's, or a
// fault's own check failed.
// `npm run chaos -- <case>...` runs only the named cases (the baseline always runs).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureLogging } from '../core/logging';
import { REPO_ROOT } from '../scripts/infra/paths';
import { run } from '../scripts/infra/process';
import { FAULTS, type FaultResult } from './faults';
import { compareFigures, readOutcome, type Outcome } from './outcome';
import { killAllWorkers, startRun, waitForDrain, WorkerExitedError, type RunHandle } from './run';
import { formatTable, type CaseRow } from './report';
import { stackDown, stackUp } from './stack';

const SUITE_BUDGET_MS = 12 * 60_000;

async function runCase(index: number, suite: string, name: string, fault?: (typeof FAULTS)[number]): Promise<{ outcome: Outcome; fault?: FaultResult }> {
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  let live: RunHandle;
  try {
    live = await startRun({ index, suite, workers: fault?.workers ?? 1 });
  } catch (error) {
    // A worker that died before polling (its log says why) is not the fault under test: once more.
    if (!(error instanceof WorkerExitedError)) throw error;
    process.stdout.write(`  ${name}: ${error.message}; starting the run once more\n`);
    live = await startRun({ index, suite, workers: fault?.workers ?? 1 });
  }
  try {
    process.stdout.write(`  ${name}: running after ${seconds()}\n`);
    let result: FaultResult | undefined;
    if (fault) result = await fault.inject(live);
    await waitForDrain(live);
    process.stdout.write(`  ${name}: drained after ${seconds()}\n`);
    const outcome = await readOutcome(live, `${suite}r${index}.chaos-reader`);
    process.stdout.write(`  ${name}: ${JSON.stringify(outcome.counts)} (${seconds()})\n`);
    return { outcome, fault: result };
  } finally {
    await live.close();
  }
}

async function main(): Promise<void> {
  configureLogging({ level: 'error', console: true });
  const started = Date.now();
  const only = process.argv.slice(2);
  const selected = only.length === 0 ? FAULTS : FAULTS.filter((fault) => only.includes(fault.name));
  if (selected.length < only.length) throw new Error(`unknown case(s); expected ${FAULTS.map((f) => f.name).join(', ')}`);
  const suite = `c${randomUUID().slice(0, 4)}`;
  process.stdout.write(`chaos: building the CLI and starting the chaos stack (${suite})\n`);
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs'), '--if-stale'], { cwd: REPO_ROOT });
  // One retry: a component stopped by a previous suite a moment ago was seen to refuse its start.
  await stackUp().catch(async (error: Error) => {
    process.stdout.write(`chaos: ${error.message.split('\n')[0]}; trying once more\n`);
    await stackUp();
  });
  const rows: CaseRow[] = [];
  let failed = false;
  try {
    const deadline = started + SUITE_BUDGET_MS;
    const baseline = await runCase(1, suite, 'baseline');
    const baselineRow = row('baseline (uninterrupted)', baseline.outcome, baseline.outcome);
    // Books, positions and cash equal the fills trivially when nothing filled: such a suite
    // proves nothing about them, so it fails (CLOCK__OFFSET_MS in chaos/run.ts keeps the runs in
    // the session at any hour).
    if (baseline.outcome.counts.fills === 0) baselineRow.notes.push('failed: the baseline filled no order');
    rows.push(baselineRow);
    let index = 2;
    for (const fault of selected) {
      if (Date.now() > deadline) {
        rows.push({ fault: fault.title, recoverMs: null, lost: null, duplicated: null, inputDiffers: [], differs: [], notes: ['not run: the suite ran out of time'] });
        failed = true;
        continue;
      }
      process.stdout.write(`chaos: ${fault.title}\n`);
      try {
        const result = await runCase(index, suite, fault.name, fault);
        rows.push(row(fault.title, result.outcome, baseline.outcome, result.fault));
      } catch (error) {
        rows.push({ fault: fault.title, recoverMs: null, lost: null, duplicated: null, inputDiffers: [], differs: [], notes: [`failed: ${(error as Error).message.split('\n')[0]}`] });
      }
      index += 1;
    }
  } finally {
    killAllWorkers();
    process.stdout.write('chaos: stopping the chaos stack\n');
    if (!(await stackDown())) process.stderr.write('chaos: infra down failed; stop it with INFRA__DATA_DIR=.chaos-stack ... infra down\n');
  }
  process.stdout.write(`\n${formatTable(rows)}\n`);
  for (const r of rows) {
    const differs = r.inputDiffers.length > 0 || r.differs.length > 0;
    if (r.lost !== 0 || r.duplicated !== 0 || differs || r.notes.some((note) => note.startsWith('failed'))) failed = true;
  }
  const report = { suite, elapsedMs: Date.now() - started, rows };
  writeFileSync(join(REPO_ROOT, 'chaos-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`chaos: ${rows.length} case(s) in ${((Date.now() - started) / 1000).toFixed(0)} s; report in chaos-report.json\n`);
  process.exitCode = failed ? 1 : 0;
}

const summarise = (differences: ReturnType<typeof compareFigures>) =>
  differences.map((d) => ({
    figure: d.figure,
    missing: d.missing.length,
    extra: d.extra.length,
    examples: [...d.missing.slice(0, 2).map((m) => `- ${m}`), ...d.extra.slice(0, 2).map((e) => `+ ${e}`)],
  }));

function row(title: string, outcome: Outcome, baseline: Outcome, fault?: FaultResult): CaseRow {
  return {
    fault: title,
    recoverMs: fault?.recoverMs ?? null,
    lost: outcome.identity.lost.length + (fault?.lost ?? 0),
    duplicated: outcome.identity.duplicated.length,
    redelivered: outcome.identity.redelivered,
    inputDiffers: summarise(compareFigures(baseline.input, outcome.input)),
    differs: summarise(compareFigures(baseline.outputs, outcome.outputs)),
    notes: [...(fault?.notes ?? []), ...outcome.identity.lost.slice(0, 5), ...outcome.identity.duplicated.slice(0, 5)],
    counts: outcome.counts,
  };
}

// Interrupted: the chaos stack goes down with the suite (the runs' workers are killed with it).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`chaos: ${signal}, stopping the chaos stack\n`);
    killAllWorkers();
    void stackDown().finally(() => process.exit(130));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killAllWorkers();
  void stackDown().finally(() => process.exit(1));
});
