// `alpha-panda risk kill-switch on|off|status`: the risk manager's kill switch of a namespace.
// While it is on, the namespace's risk manager rejects every signal (rule kill_switch); it takes
// effect with the next batch of signals, without a restart, and stays on across restarts.
import { Argument, type Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { createRedis } from '../../core/redis/client';
import { killSwitchKey, readKillSwitch, turnKillSwitchOff, turnKillSwitchOn, type KillSwitchStatus } from '../../core/redis/kill-switch';
import { namespaceOption } from './control';

const KILL_SWITCH_ACTIONS = ['on', 'off', 'status'] as const;
type KillSwitchAction = (typeof KILL_SWITCH_ACTIONS)[number];

export function describeKillSwitch(ns: BrokerNamespace, status: KillSwitchStatus): string {
  if (!status.active) return `Kill switch of '${ns}' is OFF: signals are checked by the risk rules.`;
  const since = status.setAt ? ` since ${status.setAt}` : '';
  const reason = status.reason ? ` (reason: ${status.reason})` : '';
  return `Kill switch of '${ns}' is ON${since}${reason}: every signal is rejected.`;
}

export function registerRiskCommands(program: Command): void {
  const risk = program.command('risk').description("the risk manager's controls");

  risk
    .command('kill-switch')
    .description('turn the kill switch of a namespace on (reject every signal) or off, or show it')
    .addArgument(new Argument('<action>', 'on, off or status').choices(KILL_SWITCH_ACTIONS))
    .addOption(namespaceOption())
    .option('-r, --reason <text>', 'why trading is stopped (with on)')
    .action(async (action: KillSwitchAction, options: { namespace: BrokerNamespace; reason?: string }) => {
      const config = loadConfigOrExit();
      const redis = createRedis(config);
      const ns = options.namespace;
      try {
        if (action === 'on') {
          await turnKillSwitchOn(redis, ns, options.reason ?? null);
        } else if (action === 'off') {
          const wasOn = await turnKillSwitchOff(redis, ns);
          if (!wasOn) process.stdout.write(`The kill switch of '${ns}' was already off.\n`);
        }
        process.stdout.write(`${describeKillSwitch(ns, await readKillSwitch(redis, ns))}\n`);
      } catch (error) {
        process.stderr.write(`risk kill-switch: ${(error as Error).message} (Redis key ${killSwitchKey(ns)})\n`);
        process.exitCode = 1;
      } finally {
        redis.disconnect();
      }
    });
}
