import { createRequire } from "node:module";
import v8 from "node:v8";
import type { Tiktoken } from "tiktoken/lite";

const require = createRequire(import.meta.url);

/** V8's flag that keeps WebAssembly on its baseline compiler (Liftoff): no optimising re-compile of hot functions. */
export const LIFTOFF_ONLY = "--liftoff-only";

/**
 * A WebAssembly compilation flag given to node by the user: acc then sets none. Only node's own flags can
 * give one (node refuses V8's WebAssembly flags in NODE_OPTIONS).
 */
const OWN_WASM_FLAG = /^--(no[-_])?(liftoff|wasm)/;

/** Whether acc may compile tiktoken's WebAssembly with LIFTOFF_ONLY: not when the user chose a WebAssembly flag of their own. */
export function mayCompileLiftoffOnly(execArgv: readonly string[]): boolean {
  return !execArgv.some((arg) => OWN_WASM_FLAG.test(arg));
}

let loaded: typeof Tiktoken | undefined;

/**
 * tiktoken/lite's Tiktoken, loaded on first use (importing it compiles its WebAssembly), compiled by
 * Liftoff only. By default V8 also re-compiles each hot function with TurboFan in background threads;
 * building a tokenizer's ranks makes most of tiktoken hot at once, and those re-compiles cost ~0.3–0.45
 * CPU-s per process while the encoding they speed up runs about as fast without them
 * (docs/benchmarks.md#liftoff-only). The flag is read when a module is compiled: it is set for this one
 * compile and cleared after it, so other WebAssembly (the SQL parser's) compiles as V8 decides. Flags are
 * process-wide: a worker thread compiling other WebAssembly at that moment compiles it the same way, which
 * changes its speed, never its results.
 */
export function tiktokenClass(): typeof Tiktoken {
  if (loaded !== undefined) return loaded;
  const liftoffOnly = mayCompileLiftoffOnly(process.execArgv);
  if (liftoffOnly) v8.setFlagsFromString(LIFTOFF_ONLY);
  try {
    loaded = (require("tiktoken/lite") as typeof import("tiktoken/lite")).Tiktoken;
  } finally {
    if (liftoffOnly) v8.setFlagsFromString("--no-liftoff-only");
  }
  return loaded;
}
