// Types of build-state.mjs, for the TypeScript that imports it (the benchmark).
export const REPO_ROOT: string;
export const BUILD_DIR: string;
export const BUILD_ENTRY: string;
export const BUILD_PIPELINE_PROCESS: string;
export const BUILD_MANIFEST: string;
export function buildState(): { fresh: boolean; reason: string };
export function usesBuild(): boolean;
