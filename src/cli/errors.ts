import { CommanderError } from "commander";
import { AccError } from "../errors/acc-error.js";
import { describeSystemError } from "../errors/system-error.js";

/**
 * What the CLI prints for an error that reached `main` and the exit code it returns: one line naming
 * the problem and the fix, e.g.
 *   acc: --on-error expects one of skip, fail, got "maybe"; see `acc import --help`
 *   acc: cannot open nope.jsonl: no such file or directory
 *   acc: internal error: Cannot read properties of undefined (reading 'x'); run with --debug for the stack, and report it
 * With `debug`, the stack (and the causes' stacks) follow the line. This is the one place errors become
 * exit codes: an AccError's comes from its code (src/errors/codes.ts), commander's parse errors are
 * usage errors (2), and help or --version asked for is a success (0, nothing more to print).
 */
export function renderError(error: unknown, command: string, debug: boolean): { text: string; exitCode: number } {
  if (error instanceof CommanderError) return commanderOutcome(error, command);
  const { message, fix, exitCode } = describe(error, command);
  const line = oneLine(fix ? `${message}; ${fix}` : message);
  const stack = debug ? `\n${stacks(error)}` : "";
  return { text: `acc: ${line}${stack}\n`, exitCode };
}

function describe(error: unknown, command: string): { message: string; fix?: string; exitCode: number } {
  if (AccError.isInstance(error)) {
    const fix = error.fix ?? (error.exitCode === 2 ? `see \`${helpCommand(command)}\`` : undefined);
    return { message: error.message, exitCode: error.exitCode, ...(fix ? { fix } : {}) };
  }
  const system = describeSystemError(error);
  if (system) return system;
  const message = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${message}`, fix: "run with --debug for the stack, and report it", exitCode: 1 };
}

/** Commander has printed help or the version itself (exit 0), or the help of a command run without its subcommand (2). */
function commanderOutcome(error: CommanderError, command: string): { text: string; exitCode: number } {
  if (error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.version") return { text: "", exitCode: 0 };
  if (error.code === "commander.help") return { text: "", exitCode: 2 };
  const message = error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
  return { text: `acc: ${message}; see \`${helpCommand(command)}\`\n`, exitCode: 2 };
}

/** Messages are meant to be one line; a stray newline (a subprocess's output, a multi-line reason) is folded. */
function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .join(" | ");
}

function stacks(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(depth === 0 ? String((e as Error).stack ?? e) : `caused by: ${String((e as Error).stack ?? e)}`);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join("\n");
}

/** "acc import --help", or "acc --help" when no command was named. */
export function helpCommand(command: string): string {
  return command ? `acc ${command} --help` : "acc --help";
}
