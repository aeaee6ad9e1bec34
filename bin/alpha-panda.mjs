#!/usr/bin/env node
// Entry point of the `alpha-panda` command. Runs the compiled CLI in build/ when it matches the
// sources (`make run` and `make test` build it, or `node scripts/build-cli.mjs`); otherwise, as
// in a fresh clone or right after an edit, registers the TypeScript loader and runs the sources.
// ALPHA_PANDA_FROM_SOURCE=1 forces the sources.
import { BUILD_ENTRY, usesBuild } from './build-state.mjs';

if (usesBuild()) {
  // Stack traces then point at the TypeScript sources.
  process.setSourceMapsEnabled(true);
  await import(BUILD_ENTRY);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
