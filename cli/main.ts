// The `alpha-panda` command. Each subcommand lives in cli/commands/ and registers itself here.
import { Command } from 'commander';
import { registerConfigCommands } from './commands/config';
// (subcommand registrations: one import per line, kept sorted)

const program = new Command('alpha-panda')
  .description('Algorithmic trading on Zerodha through a unified log, orchestrated by Temporal')
  .showHelpAfterError();

registerConfigCommands(program);
// (subcommand registration calls)

await program.parseAsync(process.argv);
