/** The streams a command talks to; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

import { UsageError } from "../errors/acc-error.js";

export { UsageError };

export function parseInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new UsageError(`${flag} expects a positive integer, got "${value}"`);
  return number;
}

export function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} expects one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}
