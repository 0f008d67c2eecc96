import { setFlagsFromString } from "node:v8";

/**
 * A mine is a short batch run through many functions, most of them hot for a moment only (one phase, one
 * pass): at V8's default interrupt budget TurboFan compiled about 180 of them, in all about 1 CPU-s on its
 * background threads for encode/httpx, more than the JavaScript it sped up saved. Eight times the default
 * budget (V8 11's 66 KiB of bytecode run between tier-up checks) optimizes only what stays hot: on
 * encode/httpx and the generated bench history Node's CPU fell by about a fifth (docs/commands/mine.md,
 * Performance). The extra interpreted work is bounded per function, so it does not grow with the history.
 * The flag is the process's: the mine command sets it for its own process (and bench:mine for its breakdown);
 * the library never does.
 */
export function tierUpLater(): void {
  setFlagsFromString(`--interrupt-budget=${8 * 66 * 1024}`);
}
