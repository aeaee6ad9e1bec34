// `alpha-panda infra up|down|status|install`: the local stack (Temporal, Kafka, Postgres, Redis)
// without Docker. Components are handled in parallel; each probes first, so a second `up` starts
// only what is not answering, and `down` stops only what `up` started.
import type { Config } from '../../core/config/load';
import { kafkaComponent } from './components/kafka';
import { postgresComponent } from './components/postgres';
import { redisComponent } from './components/redis';
import { temporalComponent } from './components/temporal';
import { resolvePaths } from './paths';
import { logSize } from './process';
import { createProgress, type Progress } from './progress';
import type { Component, ComponentName, InfraContext } from './types';
import { ComponentError, START_TIMEOUT_MS, describeError, waitUntil } from './wait';

export type { Component, ComponentName } from './types';

export const COMPONENTS: readonly Component[] = [temporalComponent, kafkaComponent, postgresComponent, redisComponent];
export const COMPONENT_NAMES = COMPONENTS.map((component) => component.name);

/** The named components (all when none are named); unknown names are an error. */
export function selectComponents(names: readonly string[] = []): Component[] {
  const unknown = names.filter((name) => !COMPONENT_NAMES.includes(name as ComponentName));
  if (unknown.length > 0) throw new Error(`unknown component(s) ${unknown.join(', ')}; expected ${COMPONENT_NAMES.join(', ')}`);
  return names.length === 0 ? [...COMPONENTS] : COMPONENTS.filter((component) => names.includes(component.name));
}

function context(config: Config, progress: Progress): InfraContext {
  return { config, paths: resolvePaths(config), progress };
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function answers(component: Component, config: Config): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await component.probe(config);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  }
}

/** Outcome of one component in `up`: already answering, or started now. */
export type UpOutcome = 'already-running' | 'started';

async function bringUp(component: Component, ctx: InfraContext): Promise<UpOutcome> {
  const { name } = component;
  const address = component.address(ctx.config);
  const startedAt = Date.now();
  const owned = await component.ownedPid(ctx);
  const logOffset = logSize(component.logFile(ctx.paths));

  if ((await answers(component, ctx.config)).ok) {
    ctx.progress.step(
      name,
      owned === undefined
        ? `already answering on ${address}, not started by infra up: left alone`
        : `already running (pid ${owned}) on ${address}`,
    );
    await component.afterReady?.(ctx, owned !== undefined);
    return 'already-running';
  }

  if (owned === undefined) {
    ctx.progress.step(name, 'provisioning');
    await component.install(ctx);
    await component.prepare(ctx);
    ctx.progress.step(name, `starting on ${address}`);
    await component.start(ctx).catch((error: unknown) => {
      if (error instanceof ComponentError) throw error;
      throw new ComponentError(name, `did not start on ${address}: ${describeError(error)}`, component.logFile(ctx.paths), logOffset);
    });
  } else {
    ctx.progress.step(name, `process ${owned} is running but not answering yet; waiting for it`);
  }

  await waitUntil(() => component.probe(ctx.config), {
    component: name,
    address,
    logFile: component.logFile(ctx.paths),
    logOffset,
    timeoutMs: START_TIMEOUT_MS,
    stillRunning: async () => (await component.ownedPid(ctx)) !== undefined,
  });
  await component.afterReady?.(ctx, true);
  ctx.progress.step(name, `ready on ${address} after ${seconds(startedAt)} (log ${component.logFile(ctx.paths)})`);
  return 'started';
}

/** Starts what is not answering; resolves true when every component answers. */
export async function up(config: Config, names: readonly string[] = [], progress = createProgress()): Promise<boolean> {
  const ctx = context(config, progress);
  const components = selectComponents(names);
  const results = await Promise.allSettled(components.map((component) => bringUp(component, ctx)));
  progress.close();
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  for (const failure of failures) process.stderr.write(`\n${failure instanceof Error ? failure.message : String(failure)}\n`);
  if (failures.length > 0) {
    process.stderr.write(`\ninfra up: ${failures.length} component(s) failed after ${progress.elapsed()}; \`infra down\` stops the others\n`);
    return false;
  }
  process.stdout.write(`infra up: ${components.map((c) => c.name).join(', ')} ready after ${progress.elapsed()}\n`);
  return true;
}

async function takeDown(component: Component, ctx: InfraContext): Promise<void> {
  const { name } = component;
  const address = component.address(ctx.config);
  const pid = await component.ownedPid(ctx);
  if (pid === undefined) {
    const probe = await answers(component, ctx.config);
    ctx.progress.step(name, probe.ok ? `answering on ${address} but not started by infra up: left alone` : 'not running');
    return;
  }
  const startedAt = Date.now();
  ctx.progress.step(name, `stopping pid ${pid}`);
  await component.stop(ctx);
  const left = await component.ownedPid(ctx);
  if (left !== undefined) throw new Error(`${name}: process ${left} is still running after stop`);
  ctx.progress.step(name, `stopped after ${seconds(startedAt)}`);
}

/** Stops what `up` started; resolves true when all of it has exited. */
export async function down(config: Config, names: readonly string[] = [], progress = createProgress()): Promise<boolean> {
  const ctx = context(config, progress);
  const results = await Promise.allSettled(selectComponents(names).map((component) => takeDown(component, ctx)));
  progress.close();
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  for (const failure of failures) process.stderr.write(`${failure instanceof Error ? failure.message : String(failure)}\n`);
  return failures.length === 0;
}

export interface ComponentStatus {
  readonly name: ComponentName;
  readonly address: string;
  readonly answering: boolean;
  /** Why it does not answer. */
  readonly reason?: string;
  /** The pid when `up` started it and it still runs. */
  readonly pid?: number;
  readonly logFile: string;
}

export async function status(config: Config, names: readonly string[] = []): Promise<ComponentStatus[]> {
  const ctx = context(config, createProgress());
  ctx.progress.close();
  return Promise.all(
    selectComponents(names).map(async (component): Promise<ComponentStatus> => {
      const [probe, pid] = await Promise.all([answers(component, config), component.ownedPid(ctx)]);
      return {
        name: component.name,
        address: component.address(config),
        answering: probe.ok,
        ...(probe.ok ? {} : { reason: probe.reason }),
        ...(pid === undefined ? {} : { pid }),
        logFile: component.logFile(ctx.paths),
      };
    }),
  );
}

export function formatStatus(rows: readonly ComponentStatus[]): string {
  return rows
    .map((row) => {
      const state = row.answering ? 'answering' : 'NOT answering';
      const origin = row.pid !== undefined ? `started by infra up, pid ${row.pid}` : row.answering ? 'not started by infra up' : '';
      const detail = row.answering ? `[${origin}]` : `(${row.reason}; log ${row.logFile})`;
      return `${row.name.padEnd(9)} ${state.padEnd(14)} ${row.address}  ${detail}`;
    })
    .join('\n');
}

/** Installs or builds what the components need, without starting anything. */
export async function install(config: Config, names: readonly string[] = [], progress = createProgress()): Promise<void> {
  const ctx = context(config, progress);
  try {
    await Promise.all(selectComponents(names).map((component) => component.install(ctx)));
  } finally {
    progress.close();
  }
}
