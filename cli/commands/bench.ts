// `alpha-panda bench`: pushes ticks through the whole paper pipeline on the configured broker
// and prints its throughput, tick-to-fill and per-hop latency at steady rates, and memory next to
// a bare kafkajs loop's throughput and one bare hop's latency on the same broker. Everything it
// creates (topics, groups, databases, Redis databases) is throwaway and removed at the end.
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import { configureLogging } from '../../core/logging';
import { SEED_INSTRUMENTS } from '../../core/postgres/seed-data';
import { formatBenchmark, formatComparison } from '../../bench/report';
import { SIGNAL_EVERY_TICKS } from '../../bench/environment';
import { runBenchmark, type BenchmarkResult } from '../../bench/run';

function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
    }
    return parsed;
  };
}

function processList(value: string): (1 | 2)[] {
  const counts = value.split(',').map((part) => part.trim());
  if (counts.length === 0 || counts.some((count) => count !== '1' && count !== '2')) {
    throw new InvalidArgumentError("--processes must be 1, 2 or '1,2'");
  }
  return [...new Set(counts.map(Number) as (1 | 2)[])];
}

function rateList(value: string): number[] {
  if (value === '' || value === 'none') return [];
  return value.split(',').map((part) => wholeNumber('--latency-rates', 1)(part.trim()));
}

interface BenchCommandOptions {
  ticks: number;
  rate?: number;
  instruments: number;
  signalEvery?: number;
  spreadViews?: boolean;
  latencyRates: number[];
  latencySeconds: number;
  processes: (1 | 2)[];
  json?: boolean;
  out?: string;
  compare?: string;
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('benchmark the paper pipeline on the real broker against a bare kafkajs loop')
    .option('--ticks <n>', 'ticks to push through the pipeline in the throughput run', wholeNumber('--ticks', 1), 20_000)
    .option('--rate <r>', 'ticks per second of the throughput run (default: as fast as the pipeline takes them)', wholeNumber('--rate', 1))
    .option('--instruments <k>', 'instruments the ticks cycle through', wholeNumber('--instruments', 1, SEED_INSTRUMENTS.length), 10)
    .option(
      '--signal-every <n>',
      `the strategy's BUY or SELL view every n ticks of an instrument (default: ${SIGNAL_EVERY_TICKS}, and in a latency run at most one view per instrument a second)`,
      wholeNumber('--signal-every', 1),
    )
    .option('--spread-views', "shift each instrument's views by its token, so that they come on different ticks, not all at once")
    .option('--latency-rates <list>', "paced latency runs, ticks per second, comma-separated ('none' to skip)", rateList, [200, 2000])
    .option('--latency-seconds <s>', 'how long each latency run feeds ticks', wholeNumber('--latency-seconds', 1), 10)
    .option('--processes <list>', "pipeline processes to measure: 1 (every stage in one), 2 (split as `run` splits its workers) or '1,2'", processList, [1, 2])
    .option('--json', 'print the figures as JSON')
    .option('--out <file>', 'also write the figures as JSON to this file')
    .option('--compare <file>', 'print these figures (a previous --out) next to this run\'s')
    .action(async (options: BenchCommandOptions) => {
      loadConfigOrExit();
      configureLogging({ level: 'error', console: true });
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      try {
        // Read first: a missing file is better known before the run than after it.
        const before = options.compare ? (JSON.parse(await readFile(options.compare, 'utf8')) as BenchmarkResult) : undefined;
        const result = await runBenchmark({
          ticks: options.ticks,
          rate: options.rate,
          instruments: options.instruments,
          signalEveryTicks: options.signalEvery,
          spreadViews: options.spreadViews,
          latencyRates: options.latencyRates,
          latencySeconds: options.latencySeconds,
          processes: options.processes,
          signal: controller.signal,
        });
        const json = `${JSON.stringify(result, null, 2)}\n`;
        if (options.out) await writeFile(options.out, json);
        process.stdout.write(options.json ? json : `${formatBenchmark(result)}\n`);
        if (before) process.stdout.write(`\nCompared with ${options.compare}\n${formatComparison(before, result)}\n`);
        process.exit(0);
      } catch (error) {
        process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      } finally {
        process.off('SIGINT', interrupt);
      }
    });
}
