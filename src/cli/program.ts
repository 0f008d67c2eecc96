import { Command } from "commander";
import { withCleanup } from "../io/cleanup.js";
import { setStdin } from "../io/stdin.js";
import { renderError } from "./errors.js";
import type { CliIo } from "./io.js";

export const VERSION = "0.1.0";

/**
 * Every command, in help order, as the module that builds it. Only the module of the command being run is
 * loaded (all of them for the top-level help or an unknown name): start-up pays for one command's
 * dependencies, not for every command's.
 */
const COMMANDS: [string, () => Promise<(io: CliIo) => Command>][] = [
  ["import", async () => (await import("./commands/import.js")).importCommand],
  ["inspect", async () => (await import("./commands/inspect.js")).inspectCommand],
  ["formats", async () => (await import("./commands/formats.js")).formatsCommand],
  ["compile", async () => (await import("./commands/compile.js")).compileCommand],
  ["export", async () => (await import("./commands/export.js")).exportCommand],
  ["eval", async () => (await import("./commands/eval.js")).evalCommand],
  ["mine", async () => (await import("./commands/mine.js")).mineCommand],
  ["teach", async () => (await import("./commands/teach.js")).teachCommand],
  ["verify", async () => (await import("./commands/verify.js")).verifyCommand],
  ["rollout", async () => (await import("./commands/rollout.js")).rolloutCommand],
  ["decontaminate", async () => (await import("./commands/decontaminate.js")).decontaminateCommand],
  ["view", async () => (await import("./commands/view.js")).viewCommand],
  ["merge", async () => (await import("./commands/merge.js")).mergeCommand],
  ["worker", async () => (await import("./commands/worker.js")).workerCommand],
  ["status", async () => (await import("./commands/status.js")).statusCommand],
];

async function buildProgram(io: CliIo, args: readonly string[]): Promise<Command> {
  const program = new Command("acc")
    .description("agent-context-compiler: turn LLM agents' work into long-context and long-horizon training data")
    .version(VERSION)
    .helpOption("-h, --help")
    .option("--debug", "print the stack of an error (also: ACC_DEBUG=1); may come anywhere on the command line")
    .addHelpText("after", "\nExit codes: 0 success, 1 the work failed or nothing succeeded, 2 usage (see docs/cli.md)");
  const named = args.find((arg) => !arg.startsWith("-"));
  // `acc --version` needs no command: loading them all took ~1 CPU-second
  const versionOnly = named === undefined && args.some((arg) => arg === "--version" || arg === "-V");
  const wanted = versionOnly ? [] : COMMANDS.filter(([name]) => named === undefined || !COMMANDS.some(([known]) => known === named) || name === named);
  for (const [, load] of wanted) program.addCommand((await load())(io));
  wireOutput(program, io);
  return program;
}

/** Every command and subcommand: help to our streams, errors thrown to `main` (which prints them) instead of exiting. */
function wireOutput(command: Command, io: CliIo): void {
  command
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => {} });
  for (const sub of command.commands) wireOutput(sub, io);
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const { args, debug } = takeDebugFlag(argv);
  const program = await buildProgram(io, args);
  setStdin(io.stdin ?? process.stdin);
  try {
    await withCleanup(() => program.parseAsync(args, { from: "user" }));
    return 0;
  } catch (error) {
    const { text, exitCode } = renderError(error, commandPath(program, args), debug);
    io.stderr.write(text);
    return exitCode;
  }
}

/** `--debug` may come anywhere before `--`; ACC_DEBUG=1 does the same. */
function takeDebugFlag(argv: readonly string[]): { args: string[]; debug: boolean } {
  const end = argv.indexOf("--");
  const head = end === -1 ? [...argv] : argv.slice(0, end);
  const args = [...head.filter((arg) => arg !== "--debug"), ...(end === -1 ? [] : argv.slice(end))];
  const env = process.env.ACC_DEBUG;
  return { args, debug: args.length !== argv.length || (env !== undefined && env !== "" && env !== "0") };
}

/** The (sub)command the arguments name, e.g. "verify qa", for "see `acc verify qa --help`". */
function commandPath(program: Command, argv: readonly string[]): string {
  const path: string[] = [];
  let current = program;
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    const sub = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    path.push(sub.name());
    current = sub;
  }
  return path.join(" ");
}
