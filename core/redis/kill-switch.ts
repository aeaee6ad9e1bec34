// The kill switch of a namespace: while the Redis key `{ns}:risk:kill-switch` exists, the risk
// manager rejects every signal (rule kill_switch). The key is the switch, its value only explains
// it: `{ "reason": "...", "setAt": "<ISO time>" }` when set by `alpha-panda risk kill-switch on`,
// but any value (even one set by hand with redis-cli) turns trading off. The risk manager reads it
// once per batch of signals.
import type { Redis } from 'ioredis';
import type { BrokerNamespace } from '../domain/namespace';
import { namespacedKey } from './keys';

export const killSwitchKey = (ns: BrokerNamespace) => namespacedKey(ns, 'risk', 'kill-switch');

export interface KillSwitchStatus {
  active: boolean;
  reason: string | null;
  /** When it was turned on, if known. */
  setAt: string | null;
}

/** Interprets the key's value (null: the key does not exist). */
export function parseKillSwitch(value: string | null): KillSwitchStatus {
  if (value === null) return { active: false, reason: null, setAt: null };
  try {
    const parsed = JSON.parse(value) as { reason?: unknown; setAt?: unknown };
    if (parsed && typeof parsed === 'object') {
      return {
        active: true,
        reason: typeof parsed.reason === 'string' && parsed.reason !== '' ? parsed.reason : null,
        setAt: typeof parsed.setAt === 'string' ? parsed.setAt : null,
      };
    }
  } catch {
    // Not JSON: a value set by hand; it still means "on".
  }
  return { active: true, reason: value === '' ? null : value, setAt: null };
}

/** The GET that readKillSwitch makes, for a stage that makes it with its other reads. */
export const killSwitchRead = (ns: BrokerNamespace) => ({ get: killSwitchKey(ns) });

export async function readKillSwitch(redis: Pick<Redis, 'get'>, ns: BrokerNamespace): Promise<KillSwitchStatus> {
  return parseKillSwitch(await redis.get(killSwitchKey(ns)));
}

export async function turnKillSwitchOn(redis: Pick<Redis, 'set'>, ns: BrokerNamespace, reason: string | null, at: Date = new Date()): Promise<void> {
  await redis.set(killSwitchKey(ns), JSON.stringify({ reason, setAt: at.toISOString() }));
}

/** Returns whether it was on. */
export async function turnKillSwitchOff(redis: Pick<Redis, 'del'>, ns: BrokerNamespace): Promise<boolean> {
  return (await redis.del(killSwitchKey(ns))) > 0;
}
