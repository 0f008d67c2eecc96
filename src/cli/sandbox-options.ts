import { type Command, Option } from "commander";
import type { SandboxSettings } from "../run/sandbox/index.js";
import { DEFAULT_SANDBOX_LIMITS } from "../run/sandbox/limits.js";
import type { CliIo } from "./io.js";
import { addOptions, mebibytesOption, positiveIntegerOption, repeatableOption } from "./options.js";

/** The flags of sandboxOptions, as the action receives them (sizes in bytes). */
export interface SandboxFlags {
  sandboxMemory: number;
  sandboxDisk: number;
  sandboxFiles: number;
  sandboxProcesses: number;
  sandboxOutput: number;
  sandboxRead: string[];
  unsafeNoSandbox?: boolean;
}

/** The box's limits and its way out, for every command that runs untrusted code (docs/security.md). */
export function sandboxOptions<C extends Command>(command: C): C {
  const d = DEFAULT_SANDBOX_LIMITS;
  return addOptions(command, [
    mebibytesOption("--sandbox-memory <MiB>", "memory of the box: its processes together where a memory cgroup is usable (else each process)", d.memoryBytes),
    mebibytesOption("--sandbox-disk <MiB>", "size of the box's filesystem: the repository, /tmp and /dev/shm together", d.diskBytes),
    positiveIntegerOption("--sandbox-files <n>", "files and folders the box's filesystem may hold", d.files),
    positiveIntegerOption("--sandbox-processes <n>", "processes at once in the box", d.processes),
    mebibytesOption("--sandbox-output <MiB>", "output of one command before it is stopped; also the largest change a snapshot takes", d.outputBytes),
    repeatableOption("--sandbox-read <dir>", "a host folder commands may read (a toolchain, a virtualenv); repeat for more"),
    new Option("--unsafe-no-sandbox", "where the sandbox cannot be set up, run the untrusted code unconfined on this machine as your user (never on a machine you care about)"),
  ]);
}

/** The box settings the flags ask for; `timeoutMs` is the wall-clock limit of each command. */
export function sandboxSettings(flags: SandboxFlags, timeoutMs: number): SandboxSettings {
  return {
    limits: {
      ...DEFAULT_SANDBOX_LIMITS,
      timeoutMs,
      memoryBytes: flags.sandboxMemory,
      diskBytes: flags.sandboxDisk,
      files: flags.sandboxFiles,
      processes: flags.sandboxProcesses,
      outputBytes: flags.sandboxOutput,
    },
    readOnly: flags.sandboxRead,
    unsafe: Boolean(flags.unsafeNoSandbox),
  };
}

/**
 * One line on stderr: how the box limits memory on this machine (a cgroup per box, or each process), unless
 * --quiet, unconfined, or the sandbox cannot run (the command's refusal says why).
 */
export async function reportSandbox(io: CliIo, quiet: boolean, settings: SandboxSettings): Promise<void> {
  // Loaded here, not with the flags: the box and its tar streams cost every `acc mine` without --test-cmd ~0.05 CPU-s.
  const { sandboxMemory, sandboxProblem } = await import("../run/sandbox/probe.js");
  if (quiet || settings.unsafe || (await sandboxProblem()) !== undefined) return;
  io.stderr.write(`sandbox: ${await sandboxMemory(settings.limits)}\n`);
}
