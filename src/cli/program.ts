import { Command, CommanderError } from "commander";
import { EvalDataError } from "../evals/rows.js";
import { ImportUsageError } from "../import/run.js";
import { RejectedRecordError } from "../import/write.js";
import { DecontaminateError } from "../privacy/decontaminate.js";
import { compileCommand } from "./commands/compile.js";
import { decontaminateCommand } from "./commands/decontaminate.js";
import { evalCommand } from "./commands/eval.js";
import { exportCommand } from "./commands/export.js";
import { formatsCommand } from "./commands/formats.js";
import { importCommand } from "./commands/import.js";
import { inspectCommand } from "./commands/inspect.js";
import { mineCommand } from "./commands/mine.js";
import { rolloutCommand } from "./commands/rollout.js";
import { TeachStopped, teachCommand } from "./commands/teach.js";
import { VerificationFailed, verifyCommand } from "./commands/verify.js";
import { type CliIo, UsageError } from "./io.js";

export const VERSION = "0.1.0";

function buildProgram(io: CliIo): Command {
  const program = new Command("acc")
    .description("agent-context-compiler: turn LLM agents' work into long-context and long-horizon training data")
    .version(VERSION)
    .helpOption("-h, --help")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  for (const command of [importCommand(io), inspectCommand(io), formatsCommand(io), compileCommand(io), exportCommand(io), evalCommand(io), mineCommand(io), teachCommand(io), verifyCommand(io), rolloutCommand(io), decontaminateCommand(io)]) {
    command.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    program.addCommand(command);
  }
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) return 0;
      return 2;
    }
    if (error instanceof UsageError || error instanceof ImportUsageError) {
      io.stderr.write(`acc: ${error.message}\nrun \`acc ${argv[0] ?? ""} --help\` for usage\n`);
      return 2;
    }
    if (error instanceof VerificationFailed) return 1;
    if (error instanceof EvalDataError || error instanceof TeachStopped || error instanceof DecontaminateError) {
      io.stderr.write(`acc: ${error.message}\n`);
      return 1;
    }
    if (error instanceof RejectedRecordError) {
      io.stderr.write(`acc: rejected ${error.message}\n(--on-error fail stops at the first rejected record; nothing was written)\n`);
      return 1;
    }
    io.stderr.write(`acc: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
