// `alpha-panda bench`: pushes ticks through the whole paper pipeline on the configured broker
// and prints its throughput, tick-to-fill latency and memory next to a bare kafkajs loop's
// throughput on the same broker. Everything it creates (topics, groups, database, Redis
// database) is throwaway and removed at the end.
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import { configureLogging } from '../../core/logging';
import { SEED_INSTRUMENTS } from '../../core/postgres/seed-data';
import { formatBenchmark } from '../../bench/report';
import { runBenchmark } from '../../bench/run';

function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
    }
    return parsed;
  };
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('benchmark the paper pipeline on the real broker against a bare kafkajs loop')
    .option('--ticks <n>', 'ticks to push through the pipeline', wholeNumber('--ticks', 1), 20_000)
    .option('--rate <r>', 'ticks per second (default: as fast as the pipeline takes them)', wholeNumber('--rate', 1))
    .option('--instruments <k>', 'instruments the ticks cycle through', wholeNumber('--instruments', 1, SEED_INSTRUMENTS.length), 10)
    .option('--json', 'print the figures as JSON')
    .action(async (options: { ticks: number; rate?: number; instruments: number; json?: boolean }) => {
      loadConfigOrExit();
      configureLogging({ level: 'error', console: true });
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      try {
        const result = await runBenchmark({ ticks: options.ticks, rate: options.rate, instruments: options.instruments, signal: controller.signal });
        if (options.json) {
          const { fillLatenciesMs: _samples, ...pipeline } = result.pipeline;
          const { signal: _signal, ...settings } = result.options;
          process.stdout.write(`${JSON.stringify({ ...result, options: settings, pipeline }, null, 2)}\n`);
        } else {
          process.stdout.write(`${formatBenchmark(result)}\n`);
        }
        process.exit(0);
      } catch (error) {
        process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      } finally {
        process.off('SIGINT', interrupt);
      }
    });
}
