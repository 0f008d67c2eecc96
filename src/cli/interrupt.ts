import { constants } from "node:os";
import { removeLeftoversSync } from "../io/cleanup.js";

let resumeHint: string | undefined;
let override: ((signal: NodeJS.Signals) => void) | undefined;

/** While set, a signal calls this instead of ending the process (a worker that stops gracefully); unset with undefined. */
export function onSignal(handler: ((signal: NodeJS.Signals) => void) | undefined): void {
  override = handler;
}

/** Said when the run is interrupted: how to pick it up again (set by resumable commands). */
export function setResumeHint(hint: string): void {
  resumeHint = hint;
}

/**
 * Ctrl-C, `kill` and a closed terminal: temporary files are removed, the user is told how to resume
 * (for the stages that can), and the exit code is 128 + the signal number, as a shell reports it.
 * What a resumed run needs (checkpoints, `.partial` outputs) is kept.
 */
export function exitOnSignals(stderr: NodeJS.WritableStream & { isTTY?: boolean }): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (override) return override(signal);
      removeLeftoversSync();
      stderr.write(`${stderr.isTTY ? "\n" : ""}acc: interrupted (${signal})${resumeHint ? `; ${resumeHint}` : ""}\n`);
      process.exit(128 + constants.signals[signal]);
    });
  }
}
