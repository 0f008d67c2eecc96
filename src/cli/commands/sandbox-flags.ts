import type { Command } from "commander";
import { type SandboxSettings, sandboxMemory, sandboxProblem } from "../../run/sandbox/index.js";
import { DEFAULT_SANDBOX_LIMITS } from "../../run/sandbox/limits.js";
import { type CliIo, parseInteger } from "../io.js";

type Flags = Record<string, unknown>;

const MIB = 1024 * 1024;
const mib = (bytes: number) => String(Math.round(bytes / MIB));

/** The box's limits and its way out, for every command that runs untrusted code (docs/security.md). */
export function sandboxFlags(command: Command): Command {
  const d = DEFAULT_SANDBOX_LIMITS;
  return command
    .option("--sandbox-memory <MiB>", "memory of the box: its processes together where a memory cgroup is usable (else each process)", mib(d.memoryBytes))
    .option("--sandbox-disk <MiB>", "size of the box's filesystem: the repository, /tmp and /dev/shm together", mib(d.diskBytes))
    .option("--sandbox-files <n>", "files and folders the box's filesystem may hold", String(d.files))
    .option("--sandbox-processes <n>", "processes at once in the box", String(d.processes))
    .option("--sandbox-output <MiB>", "output of one command before it is stopped; also the largest change a snapshot takes", mib(d.outputBytes))
    .option("--sandbox-read <dir>", "a host folder commands may read (a toolchain, a virtualenv); repeat for more", (dir: string, dirs: string[]) => [...dirs, dir], [] as string[])
    .option("--unsafe-no-sandbox", "where the sandbox cannot be set up, run the untrusted code unconfined on this machine as your user (never on a machine you care about)");
}

/** The box settings the flags ask for; `timeoutMs` is the wall-clock limit of each command. */
export function sandboxSettings(flags: Flags, timeoutMs: number): SandboxSettings {
  return {
    limits: {
      ...DEFAULT_SANDBOX_LIMITS,
      timeoutMs,
      memoryBytes: parseInteger(String(flags.sandboxMemory), "--sandbox-memory") * MIB,
      diskBytes: parseInteger(String(flags.sandboxDisk), "--sandbox-disk") * MIB,
      files: parseInteger(String(flags.sandboxFiles), "--sandbox-files"),
      processes: parseInteger(String(flags.sandboxProcesses), "--sandbox-processes"),
      outputBytes: parseInteger(String(flags.sandboxOutput), "--sandbox-output") * MIB,
    },
    readOnly: (flags.sandboxRead as string[] | undefined) ?? [],
    unsafe: Boolean(flags.unsafeNoSandbox),
  };
}

/**
 * One line on stderr: how the box limits memory on this machine (a cgroup per box, or each process), unless
 * --quiet, unconfined, or the sandbox cannot run (the command's refusal says why).
 */
export async function reportSandbox(io: CliIo, flags: Flags, settings: SandboxSettings): Promise<void> {
  if (flags.quiet || settings.unsafe || (await sandboxProblem()) !== undefined) return;
  io.stderr.write(`sandbox: ${await sandboxMemory(settings.limits)}\n`);
}
