// The `alpha-panda` command. Each subcommand lives in cli/commands/ and registers itself here.
import { Command } from 'commander';
import { registerAppCommands } from './commands/app';
import { registerBenchCommands } from './commands/bench';
import { registerConfigCommands } from './commands/config';
import { registerContractNoteCommands } from './commands/contract-note';
import { registerControlCommands } from './commands/control';
import { registerDataCommands } from './commands/data';
import { registerFakeKiteCommands } from './commands/fake-kite';
import { registerInfraCommands } from './commands/infra';
import { registerInstrumentCommands } from './commands/instruments';
import { registerRiskCommands } from './commands/risk';
// (subcommand registrations: one import per line, kept sorted)

const program = new Command('alpha-panda')
  .description('Algorithmic trading on Zerodha through a unified log, orchestrated by Temporal')
  .showHelpAfterError();

registerAppCommands(program);
registerBenchCommands(program);
registerConfigCommands(program);
registerContractNoteCommands(program);
registerControlCommands(program);
registerDataCommands(program);
registerFakeKiteCommands(program);
registerInfraCommands(program);
registerInstrumentCommands(program);
registerRiskCommands(program);
// (subcommand registration calls)

await program.parseAsync(process.argv);
