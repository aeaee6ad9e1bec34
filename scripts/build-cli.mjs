#!/usr/bin/env node
// Compiles the CLI into build/ (git-ignored) so that a command starts without compiling
// TypeScript: one ESM bundle per entry with code splitting, so each command's modules load only
// when that command runs; npm packages stay external and load from node_modules. The second
// entry is the benchmark's pipeline process, so that the benchmark measures the compiled code a
// worker runs (the TypeScript loader alone holds some 30 MiB more).
//   node scripts/build-cli.mjs             build
//   node scripts/build-cli.mjs --if-stale  build only when a source changed since the last build
//
// Code that finds files next to itself through `import.meta.url` (the workflow sources the
// Temporal worker bundles, the migrations node-pg-migrate reads, the repository root of the
// infra scripts) keeps doing so: each source file's `import.meta.url` is rewritten to that
// file's own URL, computed from the bundle's, since every output file sits directly in build/.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { BUILD_DIR, BUILD_MANIFEST, REPO_ROOT, buildState } from '../bin/build-state.mjs';

const ENTRIES = ['cli/main.ts', 'bench/pipeline-process.ts'];

/** @type {esbuild.Plugin} */
const sourceImportMetaUrl = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      // Relative to where the output ends up (build/), wherever esbuild writes it first.
      const fromBuild = relative(BUILD_DIR, args.path).split('\\').join('/');
      const own = `new URL(${JSON.stringify(fromBuild)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', own), loader: 'ts' };
    });
  },
};

// Compiled beside build/ and swapped in whole, so that a command starting meanwhile finds either
// the previous build, complete, or none (and runs the sources), never half of one.
const NEXT_DIR = `${BUILD_DIR}.next`;

export async function buildCli() {
  const startedAtMs = Date.now();
  rmSync(NEXT_DIR, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ENTRIES,
    outdir: NEXT_DIR,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceImportMetaUrl],
  });
  const inputs = [...Object.keys(result.metafile.inputs), 'package.json', 'bin/build-state.mjs', 'scripts/build-cli.mjs'];
  const manifest = { startedAtMs, entries: ENTRIES, inputs: [...new Set(inputs)].sort() };
  writeFileSync(`${NEXT_DIR}/${relative(BUILD_DIR, BUILD_MANIFEST)}`, `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(BUILD_DIR, { recursive: true, force: true });
  renameSync(NEXT_DIR, BUILD_DIR);
  return { files: inputs.length, ms: Date.now() - startedAtMs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const state = buildState();
  if (process.argv.includes('--if-stale') && state.fresh) {
    process.stdout.write('build-cli: build/ is up to date\n');
  } else {
    const { files, ms } = await buildCli();
    process.stdout.write(`build-cli: compiled the CLI from ${files} files into build/ in ${ms} ms (${state.reason})\n`);
  }
}
