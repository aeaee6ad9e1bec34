// Whether the compiled CLI in build/ matches the sources. The build records the moment it started
// and every source file it bundled (esbuild's metafile); the build is fresh when none of them was
// changed, removed or replaced since. Plain JavaScript with no dependencies: bin/alpha-panda.mjs
// runs this check before every command, so it must cost a few milliseconds.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = `${REPO_ROOT}build`;
export const BUILD_ENTRY = `${BUILD_DIR}/main.js`;
/** The benchmark's pipeline process (bench/pipeline-process.ts), compiled. */
export const BUILD_PIPELINE_PROCESS = `${BUILD_DIR}/pipeline-process.js`;
export const BUILD_MANIFEST = `${BUILD_DIR}/manifest.json`;

/** @returns {{ fresh: boolean, reason: string }} */
export function buildState() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(BUILD_MANIFEST, 'utf8'));
    statSync(BUILD_ENTRY);
    statSync(BUILD_PIPELINE_PROCESS);
  } catch {
    return { fresh: false, reason: 'no build' };
  }
  for (const input of manifest.inputs) {
    let modified;
    try {
      modified = statSync(`${REPO_ROOT}${input}`).mtimeMs;
    } catch {
      return { fresh: false, reason: `${input} was removed` };
    }
    // Compared with the start of the build, so that an edit made while it ran counts as newer.
    if (modified >= manifest.startedAtMs) return { fresh: false, reason: `${input} changed` };
  }
  return { fresh: true, reason: 'up to date' };
}

/**
 * Whether a command runs the compiled build: when it is fresh, unless ALPHA_PANDA_FROM_SOURCE=1
 * asks for the sources.
 */
export function usesBuild() {
  return process.env.ALPHA_PANDA_FROM_SOURCE !== '1' && buildState().fresh;
}
