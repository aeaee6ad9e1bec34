// Where the local stack keeps things: data, logs and pid files in INFRA__DATA_DIR (inside the
// checkout by default, ignored by git); builds and jars in a cache shared by every checkout.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config/load';
import type { InfraPaths } from './types';

/** The repository root, for files the stack is built from (the Kafka pom). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export function resolvePaths(config: Config, cwd = process.cwd()): InfraPaths {
  const dataDir = resolve(cwd, config.infra.dataDir);
  const cacheDir = config.infra.cacheDir === '' ? join(homedir(), '.cache', 'alpha-panda') : resolve(cwd, config.infra.cacheDir);
  return { dataDir, cacheDir, logDir: join(dataDir, 'logs'), runDir: join(dataDir, 'run') };
}
