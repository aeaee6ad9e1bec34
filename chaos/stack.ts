// The fault-injection suite's own stack: Temporal, Kafka, Postgres and Redis on ports of their own
// and with their data in .chaos-stack, started and stopped by the project's infra scripts, so
// that killing them never touches the stack other people run on the default ports. A fault is
// SIGKILL to the pid the infra scripts recorded (or, for Postgres, a stop); recovery is
// `infra up` of that component again.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, type Config } from '../core/config/load';
import { COMPONENTS, down, up, type Component, type ComponentName } from '../scripts/infra';
import { resolvePaths } from '../scripts/infra/paths';
import { isAlive } from '../scripts/infra/process';
import type { Progress } from '../scripts/infra/progress';
import type { InfraContext } from '../scripts/infra/types';

export const CHAOS_DATA_DIR = '.chaos-stack';

/**
 * Shifts every port of the chaos stack, so that two checkouts on one machine can each run the
 * suite (CHAOS_PORT_SHIFT=100 gives 17333, 19192, ...). The ports must stay clear of the defaults.
 */
const PORT_SHIFT = Number(process.env.CHAOS_PORT_SHIFT ?? '0');
if (!Number.isInteger(PORT_SHIFT) || PORT_SHIFT < 0 || PORT_SHIFT > 10_000) {
  throw new Error(`CHAOS_PORT_SHIFT: expected an integer from 0 to 10000, got ${JSON.stringify(process.env.CHAOS_PORT_SHIFT)}`);
}
const port = (base: number) => String(base + PORT_SHIFT);

/** Every address of the chaos stack; nothing here may equal a default port. */
export const CHAOS_STACK_ENV: Readonly<Record<string, string>> = {
  INFRA__DATA_DIR: CHAOS_DATA_DIR,
  TEMPORAL__ADDRESS: `127.0.0.1:${port(17233)}`,
  TEMPORAL__UI_PORT: port(18233),
  // The KRaft controller listens on the next port.
  REDPANDA__BOOTSTRAP_SERVERS: `127.0.0.1:${port(19092)}`,
  DATABASE__POSTGRES_URL: `postgres://alpha_panda:alpha_panda@127.0.0.1:${port(15432)}/alpha_panda`,
  REDIS__URL: `redis://127.0.0.1:${port(16379)}/0`,
  LOG_DIR: `${CHAOS_DATA_DIR}/logs/app`,
  ZERODHA__ENABLED: 'false',
};

const DEFAULT_PORTS = ['7233', '8233', '9092', '9093', '5432', '6379'];

/** The chaos stack's configuration with `overrides` (a run's database, Redis index, prefix). */
export function chaosConfig(overrides: Record<string, string> = {}): Config {
  // Only the chaos stack's own settings: the developer's .env must not point it anywhere else.
  const config = parseConfig({ ...CHAOS_STACK_ENV, ...overrides });
  const addresses = [
    config.temporal.address,
    String(config.temporal.uiPort),
    ...config.redpanda.bootstrapServers,
    config.database.postgresUrl,
    config.redis.url,
  ];
  for (const port of DEFAULT_PORTS) {
    if (addresses.some((address) => new RegExp(`:${port}(/|$)`).test(address) || address === port)) {
      throw new Error(`the chaos stack must not use the default port ${port} (it kills what answers there)`);
    }
  }
  return config;
}

/** Progress of the infra scripts, kept in memory and shown only when something fails. */
export function quietProgress(): Progress & { lines: string[] } {
  const lines: string[] = [];
  const startedAt = Date.now();
  return {
    lines,
    step: (component, message) => lines.push(`${component}: ${message}`),
    live: () => undefined,
    done: () => undefined,
    close: () => undefined,
    elapsed: () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`,
  };
}

function component(name: ComponentName): Component {
  return COMPONENTS.find((candidate) => candidate.name === name)!;
}

function context(config: Config): InfraContext {
  return { config, paths: resolvePaths(config), progress: quietProgress() };
}

export async function stackUp(names: readonly ComponentName[] = []): Promise<void> {
  const progress = quietProgress();
  if (!(await up(chaosConfig(), names, progress))) {
    throw new Error(`chaos stack: infra up ${names.join(' ')} failed:\n${progress.lines.join('\n')}`);
  }
}

export async function stackDown(): Promise<boolean> {
  return down(chaosConfig(), [], quietProgress());
}

/** SIGKILL to the process the infra scripts started for `name`; resolves once it is gone. */
export async function killComponent(name: ComponentName): Promise<number> {
  const target = component(name);
  const ctx = context(chaosConfig());
  if (name === 'postgres') {
    // Postgres is restarted, not killed: its stop is the infra scripts' own (pg_ctl).
    const pid = await target.ownedPid(ctx);
    if (pid === undefined) throw new Error('chaos stack: postgres is not running under infra up');
    await target.stop(ctx);
    return pid;
  }
  const pid = await target.ownedPid(ctx);
  if (pid === undefined) throw new Error(`chaos stack: ${name} is not running under infra up`);
  sigkill(pid);
  await waitForExit(pid);
  return pid;
}

/** SIGKILL to a process and its group (a detached child leads its own group). */
export function sigkill(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // not a group leader, or gone already
    }
  }
}

export async function waitForExit(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} survived SIGKILL for ${timeoutMs} ms`);
    await sleep(50);
  }
}
