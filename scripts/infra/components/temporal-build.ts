// The `temporal` CLI (dev server and Web UI in one binary) is built from its Go module, the only
// source reachable here. A cold build takes about ten minutes on two cores, so it is cached by
// version outside the checkout and the progress shows the module being downloaded or compiled.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InfraContext, InfraPaths } from '../types';
import { which } from '../process';
import { ComponentError } from '../wait';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export const temporalBinary = (paths: InfraPaths) => join(paths.cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'bin', 'temporal');
const buildLog = (paths: InfraPaths) => join(paths.logDir, 'temporal-build.log');

const formatDuration = (ms: number) => {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
};

/** Builds the CLI into the cache unless it is already there. */
export async function ensureTemporalCli(ctx: InfraContext): Promise<string> {
  const binary = temporalBinary(ctx.paths);
  if (existsSync(binary)) return binary;
  const go = which('go') ?? which('/usr/local/go/bin/go');
  if (!go) throw new Error(`temporal: the Temporal CLI is not cached at ${binary} and Go is not installed to build it`);

  // Build into a scratch directory and move the binary into place at the end, so that an
  // interrupted build never leaves a truncated binary where the next run would trust it.
  const versionDir = join(ctx.paths.cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const scratch = join(versionDir, `bin.partial-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  mkdirSync(ctx.paths.logDir, { recursive: true });
  const log = buildLog(ctx.paths);
  ctx.progress.step('temporal', `building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (once; takes several minutes the first time), log ${log}`);

  const startedAt = Date.now();
  let lastLine = 'resolving the module';
  const show = () => ctx.progress.live('temporal', `building (${formatDuration(Date.now() - startedAt)}) ${lastLine}`);
  const ticker = setInterval(show, 1000);
  show();
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(log, { flags: 'a' });
      // -v names each package as it compiles, so the line keeps moving after the downloads.
      const child = spawn(go, ['install', '-v', MODULE], {
        env: { ...process.env, GOBIN: scratch, GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' ') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const onData = (chunk: Buffer) => {
        out.write(chunk);
        const lines = chunk.toString().split('\n').filter((line) => line.trim() !== '');
        const last = lines[lines.length - 1];
        if (last) lastLine = last.trim();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (code) => {
        out.end();
        if (code === 0) resolve();
        else reject(new ComponentError('temporal', `go install ${MODULE} exited with ${code}`, log));
      });
    });
    mkdirSync(dirname(binary), { recursive: true });
    renameSync(join(scratch, 'temporal'), binary);
  } finally {
    clearInterval(ticker);
    ctx.progress.done('temporal');
    rmSync(scratch, { recursive: true, force: true });
  }
  ctx.progress.step('temporal', `built the Temporal CLI in ${formatDuration(Date.now() - startedAt)}, cached at ${binary}`);
  return binary;
}
