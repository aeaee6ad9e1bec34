// `alpha-panda strategies list | show <id> | activate <id> | deactivate <id> | set <id> k=v...`:
// the strategy_configurations of a namespace (core/postgres/strategies.ts). Changes are
// validated against the strategy type's schema before they are saved; the strategy runner and
// the risk manager pick them up within STRATEGIES__REFRESH_INTERVAL_MS, without a restart.
import { InvalidArgumentError, type Command } from 'commander';
import type { BrokerNamespace } from '../../core/domain/namespace';
import type { StrategyRecord } from '../../core/postgres/strategies';
import { formatTable, istCell, printJson } from '../table';
import { namespaceOption } from './control';
import { runWithDatabase, type DatabaseContext } from './database';

/**
 * `name=value` arguments of `set`. A value is read as JSON when it is JSON (`20`, `true`), else
 * as text (`CNC`); an empty value (`stopLossBps=`) removes the parameter, so its default applies.
 */
export function parseAssignments(assignments: readonly string[]): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const name = assignment.slice(0, at).trim();
    if (at <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InvalidArgumentError(`expected <parameter>=<value>, got ${JSON.stringify(assignment)}`);
    }
    if (Object.hasOwn(changes, name)) throw new InvalidArgumentError(`parameter ${name} is given twice`);
    const text = assignment.slice(at + 1).trim();
    changes[name] = text === '' ? undefined : parseValue(text);
  }
  return changes;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const describeParameters = (parameters: Record<string, unknown>) =>
  Object.entries(parameters)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');

export function formatStrategies(strategies: readonly StrategyRecord[], symbols: ReadonlyMap<number, string>): string {
  return formatTable(
    [{ header: 'id' }, { header: 'type' }, { header: 'active' }, { header: 'instruments' }, { header: 'updated (IST)' }, { header: 'parameters' }],
    strategies.map((s) => [
      s.id,
      s.strategyType,
      s.isActive ? 'yes' : 'no',
      s.instruments.map((token) => symbols.get(token) ?? String(token)).join(','),
      istCell(s.updatedAt),
      describeParameters(s.parameters),
    ]),
    'no strategies',
  );
}

/** Runs one action against Postgres: exits 1 when the strategy is missing or the change is refused. */
async function withDatabase(action: (context: DatabaseContext) => Promise<void>): Promise<never> {
  const { StrategyNotFoundError, UnknownInstrumentsError } = await import('../../core/postgres/strategies');
  const { StrategyConfigError } = await import('../../core/domain/trading/strategies');
  return runWithDatabase('strategies', action, (error) => {
    if (error instanceof StrategyConfigError || error instanceof UnknownInstrumentsError) return `refused, nothing saved: ${error.message}`;
    if (error instanceof StrategyNotFoundError) return error.message;
    return undefined;
  });
}

interface Options {
  namespace: BrokerNamespace;
  json?: boolean;
}

export function registerStrategyCommands(program: Command): void {
  const strategies = program.command('strategies').description("a namespace's strategies: list, show, switch on and off, change parameters");

  strategies
    .command('list')
    .description('every strategy of the namespace')
    .addOption(namespaceOption())
    .option('--json', 'print JSON')
    .action((options: Options) =>
      withDatabase(async ({ pool }) => {
        const { listStrategies } = await import('../../core/postgres/strategies');
        const { instrumentSymbols } = await import('../../core/postgres/trades');
        const rows = await listStrategies(pool, options.namespace);
        if (options.json) return printJson({ namespace: options.namespace, strategies: rows });
        const symbols = await instrumentSymbols(pool, rows.flatMap((row) => row.instruments));
        process.stdout.write(`${formatStrategies(rows, symbols)}\n`);
      }),
    );

  strategies
    .command('show')
    .description('one strategy, with the parameters it runs with (defaults filled in)')
    .argument('<id>', 'strategy id')
    .addOption(namespaceOption())
    .option('--json', 'print JSON')
    .action((id: string, options: Options) =>
      withDatabase(async ({ pool }) => {
        const { getStrategy, validateStrategy } = await import('../../core/postgres/strategies');
        const { StrategyConfigError } = await import('../../core/domain/trading/strategies');
        const record = await getStrategy(pool, options.namespace, id);
        let effective: Record<string, unknown> | null = null;
        let problem: string | null = null;
        try {
          effective = validateStrategy(record).parameters;
        } catch (error) {
          if (!(error instanceof StrategyConfigError)) throw error;
          problem = error.issues.join('; ');
        }
        if (options.json) return printJson({ ...record, effectiveParameters: effective, invalid: problem });
        const lines = [
          `${record.id} (${record.namespace}): ${record.name}`,
          `  type         ${record.strategyType}`,
          `  active       ${record.isActive ? 'yes' : 'no'}`,
          `  instruments  ${record.instruments.join(', ')}`,
          `  parameters   ${describeParameters(record.parameters) || '(none set)'}`,
          problem ? `  INVALID      ${problem} (the strategy runner skips it)` : `  runs with    ${describeParameters(effective ?? {})}`,
          `  risk limits  ${describeParameters(record.riskLimits) || '(namespace defaults)'}`,
          `  updated      ${istCell(record.updatedAt)} IST`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  for (const active of [true, false]) {
    strategies
      .command(active ? 'activate' : 'deactivate')
      .description(active ? 'switch a strategy on (its configuration is validated first)' : 'switch a strategy off')
      .argument('<id>', 'strategy id')
      .addOption(namespaceOption())
      .option('--json', 'print JSON')
      .action((id: string, options: Options) =>
        withDatabase(async ({ config, pool }) => {
          const { setStrategyActive } = await import('../../core/postgres/strategies');
          const record = await setStrategyActive(pool, options.namespace, id, active);
          if (active && record.namespace === 'zerodha') {
            process.stderr.write(
              `WARNING: ${record.id} is a zerodha strategy: while the zerodha namespace runs, its signals become real orders ` +
                'on your Zerodha account, with real money.\n',
            );
          }
          if (options.json) return printJson(record);
          const when = `within ${config.strategies.refreshIntervalMs / 1000} s (STRATEGIES__REFRESH_INTERVAL_MS), without a restart`;
          process.stdout.write(`${active ? 'Activated' : 'Deactivated'} ${record.id} in '${record.namespace}'; running services pick it up ${when}.\n`);
        }),
      );
  }

  const set = strategies
    .command('set')
    .description("change parameters (validated against the strategy type's schema before saving)")
    .argument('<id>', 'strategy id')
    .argument('<assignments...>', 'parameter=value ... (JSON or text; an empty value restores the default)')
    .addOption(namespaceOption())
    .option('--json', 'print JSON')
    .action((id: string, assignments: string[], options: Options) => {
      // Parsed before connecting, so that a malformed argument is refused at once.
      let changes: Record<string, unknown>;
      try {
        changes = parseAssignments(assignments);
      } catch (error) {
        if (!(error instanceof InvalidArgumentError)) throw error;
        return set.error(`error: ${error.message}`, { exitCode: 2 });
      }
      return withDatabase(async ({ pool }) => {
        const { setStrategyParameters } = await import('../../core/postgres/strategies');
        const record = await setStrategyParameters(pool, options.namespace, id, changes);
        if (options.json) return printJson(record);
        process.stdout.write(`Saved ${record.id} in '${record.namespace}': ${describeParameters(record.parameters)}\n`);
      });
    });
}
