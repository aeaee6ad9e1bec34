// The `alpha-panda` command. Each subcommand lives in cli/commands/; commands/index.ts lists
// them and imports only the module of the command being run, so that a command starts fast.
import { Command } from 'commander';
import { registerCommands } from './commands/index';

const program = new Command('alpha-panda')
  .description('Algorithmic trading on Zerodha through a unified log, orchestrated by Temporal')
  .showHelpAfterError();

await registerCommands(program, process.argv);

await program.parseAsync(process.argv);
