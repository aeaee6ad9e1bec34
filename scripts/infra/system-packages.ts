// Postgres and Redis come from Debian's packages, and so does the headless Chromium the dashboard's
// browser test drives (test/dashboard.test.ts; nothing may download a browser here). A fresh
// machine lacks them, so the first `up` or `make setup` installs them in one apt-get run (two
// parallel runs would fight over the dpkg lock).
import { existsSync, readdirSync } from 'node:fs';
import type { Progress } from './progress';
import { run, which } from './process';

export const DEBIAN_PACKAGES = ['postgresql', 'redis-server', 'chromium'] as const;
const PREFERRED_POSTGRES_MAJOR = '15';
const POSTGRES_LIB = '/usr/lib/postgresql';

/** The bin directory of the installed Postgres (15 when present, else the newest). */
export function postgresBinDir(): string | undefined {
  if (existsSync(`${POSTGRES_LIB}/${PREFERRED_POSTGRES_MAJOR}/bin/postgres`)) return `${POSTGRES_LIB}/${PREFERRED_POSTGRES_MAJOR}/bin`;
  if (!existsSync(POSTGRES_LIB)) return undefined;
  const majors = readdirSync(POSTGRES_LIB)
    .filter((entry) => existsSync(`${POSTGRES_LIB}/${entry}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : `${POSTGRES_LIB}/${majors[0]}/bin`;
}

export const redisServerBinary = () => which('redis-server') ?? which('/usr/bin/redis-server');

/** Where the browser test finds Chromium (CHROMIUM_PATH overrides, as the test itself reads it). */
export const chromiumBinary = () => which(process.env.CHROMIUM_PATH ?? 'chromium') ?? which('/usr/bin/chromium');

export function missingDebianPackages(): string[] {
  const missing: string[] = [];
  if (!postgresBinDir()) missing.push('postgresql');
  if (!redisServerBinary()) missing.push('redis-server');
  if (!chromiumBinary()) missing.push('chromium');
  return missing;
}

let installing: Promise<void> | undefined;

/** Installs whichever of the packages are missing; concurrent callers share one apt-get run. */
export function ensureDebianPackages(progress: Progress, component: string): Promise<void> {
  const missing = missingDebianPackages();
  if (missing.length === 0) return Promise.resolve();
  installing ??= install(missing, progress, component).finally(() => {
    installing = undefined;
  });
  return installing;
}

async function install(packages: string[], progress: Progress, component: string): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (!which('apt-get')) throw new Error(`${packages.join(' and ')} missing and apt-get unavailable; install them with your package manager`);
  if (!asRoot && !which('sudo')) throw new Error(`${packages.join(' and ')} missing; run as root: apt-get update && ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const exec = (args: string[]) => {
    const [bin, ...rest] = [...prefix, ...args];
    return run(bin!, rest, { env });
  };
  progress.step(component, `installing Debian packages: ${packages.join(' ')} (apt-get)`);
  try {
    await exec(['apt-get', 'update']);
    await exec(['apt-get', 'install', '-y', ...packages]);
  } catch (error) {
    throw new Error(`could not install ${packages.join(' ')}; run as root: apt-get update && ${command}\n${(error as Error).message}`);
  }
  progress.step(component, `installed ${packages.join(' ')}`);
}
