// Which module registers each top-level command. The CLI imports only the module of the command
// it runs (`alpha-panda status` loads the Temporal client, never kafkajs, pg or the worker), and
// every module only for help, no command or an unknown one. A new command file adds its loader
// and one line per command it registers; index.test.ts checks the table against the modules.
import type { Command } from 'commander';

type Register = (program: Command) => void;
type Loader = () => Promise<Register>;

const app: Loader = async () => (await import('./app')).registerAppCommands;
const bench: Loader = async () => (await import('./bench')).registerBenchCommands;
const config: Loader = async () => (await import('./config')).registerConfigCommands;
const contractNote: Loader = async () => (await import('./contract-note')).registerContractNoteCommands;
const control: Loader = async () => (await import('./control')).registerControlCommands;
const data: Loader = async () => (await import('./data')).registerDataCommands;
const fakeKite: Loader = async () => (await import('./fake-kite')).registerFakeKiteCommands;
const infra: Loader = async () => (await import('./infra')).registerInfraCommands;
const instruments: Loader = async () => (await import('./instruments')).registerInstrumentCommands;
const portfolio: Loader = async () => (await import('./portfolio')).registerPortfolioCommands;
const risk: Loader = async () => (await import('./risk')).registerRiskCommands;
const strategies: Loader = async () => (await import('./strategies')).registerStrategyCommands;
const trades: Loader = async () => (await import('./trades')).registerTradeCommands;
// (module loaders: one per line, kept sorted)

/** Top-level command name -> the loader of the module that registers it, in help order. */
export const COMMAND_MODULES: Readonly<Record<string, Loader>> = {
  worker: app,
  api: app,
  run: app,
  bench,
  config,
  'contract-note': contractNote,
  status: control,
  auth: control,
  stop: control,
  migrate: data,
  bootstrap: data,
  seed: data,
  'fake-kite': fakeKite,
  infra,
  instruments,
  risk,
  strategies,
  orders: trades,
  fills: trades,
  portfolio,
  // (commands: one per line, grouped by module)
};

/** Registers the commands `argv` (process.argv) needs: its command's module, or all of them. */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const name = argv[2];
  const only = name !== undefined && Object.hasOwn(COMMAND_MODULES, name) ? COMMAND_MODULES[name] : undefined;
  const loaders = only ? [only] : [...new Set(Object.values(COMMAND_MODULES))];
  const registers = await Promise.all(loaders.map((load) => load()));
  for (const register of registers) register(program);
}
