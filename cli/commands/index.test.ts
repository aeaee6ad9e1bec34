import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, registerCommands } from './index';

const names = (program: Command) => program.commands.map((command) => command.name());

describe('the command table', () => {
  it('names exactly the top-level commands its modules register', async () => {
    const program = new Command();
    await registerCommands(program, ['node', 'alpha-panda', '--help']);
    expect(names(program).sort()).toEqual(Object.keys(COMMAND_MODULES).sort());
  });

  it('loads, for a command, only the module that registers it', async () => {
    for (const name of Object.keys(COMMAND_MODULES)) {
      const program = new Command();
      await registerCommands(program, ['node', 'alpha-panda', name, '--json']);
      expect(names(program)).toContain(name);
      const siblings = Object.keys(COMMAND_MODULES).filter((other) => COMMAND_MODULES[other] === COMMAND_MODULES[name]);
      expect(names(program).sort()).toEqual(siblings.sort());
    }
  });

  it('registers every command for an unknown one, so that the error can suggest the right name', async () => {
    const program = new Command();
    await registerCommands(program, ['node', 'alpha-panda', 'statsu']);
    expect(names(program)).toHaveLength(Object.keys(COMMAND_MODULES).length);
  });
});
