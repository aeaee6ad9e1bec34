// `alpha-panda infra up|down|status|install`: the local Temporal, Kafka, Postgres and Redis,
// at the addresses the configuration gives, without Docker.
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import { COMPONENT_NAMES, down, formatStatus, install, status, up } from '../../scripts/infra/index';

const componentsArgument = `[components...]`;
const componentsHelp = `some of ${COMPONENT_NAMES.join(', ')} (default: all)`;

/** Runs the action and exits with its code, so that no idle client socket keeps the CLI alive. */
async function guarded(action: () => Promise<number>): Promise<never> {
  try {
    process.exit(await action());
  } catch (error) {
    process.stderr.write(`infra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

export function registerInfraCommands(program: Command): void {
  const infra = program
    .command('infra')
    .description('run the local stack (Temporal + Web UI, Kafka, Postgres, Redis) without Docker');

  infra
    .command('up')
    .description('provision and start what is not answering; a component already running is left alone')
    .argument(componentsArgument, componentsHelp)
    .action((names: string[]) => guarded(async () => ((await up(loadConfigOrExit(), names)) ? 0 : 1)));

  infra
    .command('down')
    .description('stop what `infra up` started (data is kept)')
    .argument(componentsArgument, componentsHelp)
    .action((names: string[]) => guarded(async () => ((await down(loadConfigOrExit(), names)) ? 0 : 1)));

  infra
    .command('status')
    .description('show each component, its address and whether it answers; exits 1 when any does not')
    .argument(componentsArgument, componentsHelp)
    .option('--list-down', 'print only the names of the components that do not answer, and exit 0')
    .action((names: string[], options: { listDown?: boolean }) =>
      guarded(async () => {
        const rows = await status(loadConfigOrExit(), names);
        if (options.listDown) {
          process.stdout.write(`${rows.filter((row) => !row.answering).map((row) => row.name).join(' ')}\n`);
          return 0;
        }
        process.stdout.write(`${formatStatus(rows)}\n`);
        return rows.every((row) => row.answering) ? 0 : 1;
      }),
    );

  infra
    .command('install')
    .description('install or build what the components need (Debian packages, Temporal CLI, Kafka jars) without starting them')
    .argument(componentsArgument, componentsHelp)
    .action((names: string[]) =>
      guarded(async () => {
        await install(loadConfigOrExit(), names);
        return 0;
      }),
    );
}
