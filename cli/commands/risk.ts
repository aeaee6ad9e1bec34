// `alpha-panda risk kill-switch on|off|status`: the kill switch of a namespace. While it is on,
// new exposure is halted: the risk manager rejects every signal that would not only reduce a
// position (rule kill_switch) and the trading engine neither places nor fills such orders;
// exits and other reducing orders still pass, so positions can be flattened. It takes effect with
// the next batch, without a restart, and stays on across restarts.
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
  return (
    `Kill switch of '${ns}' is ON${since}${reason}: new exposure is halted in the risk manager and the trading engine; ` +
    'orders that only reduce a position (exits) still pass.'
  );
}

export function registerRiskCommands(program: Command): void {
  const risk = program.command('risk').description("the risk manager's controls");

  risk
    .command('kill-switch')
    .description('turn the kill switch of a namespace on (halt new exposure; exits still pass) or off, or show it')
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
