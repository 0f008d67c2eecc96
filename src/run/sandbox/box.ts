// One box: a private, size-limited filesystem (the repository, /tmp and /dev/shm) that lives in memory as
// long as acc does, and commands that run in it under bubblewrap, each as an unprivileged user in fresh
// namespaces (user, mount, pid, network, ipc, uts, cgroup) that see only the box, the read-only system
// folders and what the caller adds read-only. The filesystem is a tmpfs mounted over /run in a mount
// namespace of its own, held by one small process (the holder) reading acc's end of a pipe: when acc
// ends, however it ends, the pipe closes, the holder ends and the kernel frees the
// filesystem. Nothing is written to the host's disk, so nothing can be left behind. acc's own git runs
// in the holder's mount namespace (where the box's filesystem is /run and the host's files are as they are).
import { type ChildProcess, spawn } from "node:child_process";
import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { UsageError } from "../../errors/acc-error.js";
import { killGroup } from "../process-group.js";
import { BoxCgroup, DRAIN, drain, JOIN, memoryCgroup } from "./cgroup.js";
import type { SandboxLimits } from "./limits.js";
import { ByteCollector, OutputKeeper } from "./output.js";

/** The sandbox cannot be set up here: a tool is missing or the kernel refuses the namespaces (exit 2). */
export class SandboxUnavailable extends UsageError {
  override name = "SandboxUnavailable";
}

export interface BoxOptions {
  limits: SandboxLimits;
  /** Host folders commands may read besides the system's (a toolchain in /opt, a virtualenv). */
  readOnly?: readonly string[];
  /**
   * Run without the sandbox: commands run on the host as acc's user, in a temporary folder, with only the
   * process limits. Only when the user asks for it explicitly.
   */
  unsafe?: boolean;
  /** false: no memory cgroup even where one is usable, each process's limit alone (bench:rollout's baseline for the cgroup's cost). */
  memoryCgroup?: false;
}

export interface ExecOptions {
  /** Wall-clock limit (default: the box's). */
  timeoutMs?: number;
  stdin?: Buffer | string | Readable;
  /** Where stdout goes instead of being collected (a tar parser). */
  stdout?: Writable;
  /** Bytes of stdout collected; past them the command is stopped (default: the box's output limit). */
  maxStdout?: number;
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The output passed its limit and the command was stopped. */
  overflowed: boolean;
  /** The box's processes together reached its memory limit while the command ran, and the kernel killed one (cgroup only). */
  memoryExceeded: boolean;
  stdout: Buffer;
  /** The first 64 KiB of stderr. */
  stderr: string;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  overflowed: boolean;
  memoryExceeded: boolean;
  /** stdout and stderr as they came, the head and tail kept within the box's character limit. */
  output: string;
}

/** Where commands run and files live: the sandbox, or (only when asked) a host folder. */
interface Place {
  /** The repository's folder as commands see it. */
  readonly repo: string;
  /** acc's own folder beside the box's files (its git store): on the box's filesystem, out of the commands' reach. */
  readonly private: string;
  /** What runs a host program where `private` is that path (the holder's mount namespace). */
  readonly enterPrivate: readonly string[];
  /** The box's memory cgroup, when the machine has a usable one. */
  readonly cgroup?: BoxCgroup | undefined;
  launch(argv: readonly string[], env: Record<string, string>): { file: string; args: string[]; cwd?: string };
  close(): Promise<void>;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const STDERR_BYTES = 64 * 1024;
/** The system folders commands see, read-only (those that exist here; symlinks stay symlinks). */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];
/** Folders that must not be added read-only: the host's processes, devices and temporary files. */
const FORBIDDEN_READ_ONLY = /^\/(?:proc|sys|dev|run|tmp)(?:\/|$)|^\/$/;
/** Inside the box, commands run as this user in their own user namespace. */
const BOX_UID = 1000;

// The holder: mounts the box's tmpfs over /run in its own mount namespace (a folder no repository lives
// in, that acc's git does not need), makes the folders the commands get (repo, tmp, shm) and acc's own
// (acc), says it is ready, and waits for acc's pipe to close (acc closed the box, or died). As root, the
// box's commands run as a user of their own: it then kills whatever still runs as that user, which
// catches a command whose launch acc's death interrupted before bubblewrap bound its processes to acc.
// Last, it empties the box's memory cgroup (every process in it, whatever its user or process group) and
// removes it.
const HOLDER = `set -e
mount -t tmpfs -o "size=$1,nr_inodes=$2,mode=0755,uid=$3,gid=$3,nosuid,nodev" acc-box /run
mkdir /run/repo /run/tmp /run/shm /run/acc
chown "$3:$3" /run/repo /run/tmp /run/shm
chmod 0700 /run/acc
echo ready
read -r _ || true
[ "$3" = 0 ] || setpriv --reuid="$3" --regid="$3" --clear-groups -- sh -c 'kill -9 -1 2>/dev/null || true'
[ -z "$4" ] || exec sh -c "$5" drain "$4"`;

// A command's process gets acc's death signal only once it asks for it; acc killed before then would
// leave it running. Run after the request: if acc is no longer the parent, it died first, so stop here.
const PARENT_GUARD = `[ "$PPID" = "$0" ] && exec "$@"; exit 125`;

/** As root, box uids start here (no account uses them); each acc process has 512 of its own. */
export const BOX_UIDS = 0x40000000;
let boxes = 0;

/**
 * As root, each box's commands run as a user of their own (a high uid no account uses), so no two boxes
 * share a process count or a file owner; otherwise as acc's user mapped into the box's namespaces.
 */
function boxUid(): number {
  // pids are below 2^22 (the kernel's largest pid_max): no two acc processes share a uid
  return BOX_UIDS + process.pid * 512 + (boxes++ % 512);
}

const isRoot = () => process.getuid?.() === 0;

/** Checks the extra read-only folders: absolute, existing folders, none of the host's special ones. */
export function checkReadOnly(dirs: readonly string[]): string[] {
  return dirs.map((dir) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      throw new SandboxUnavailable(`read-only folder ${dir} does not exist`);
    }
    if (!statSync(real).isDirectory()) throw new SandboxUnavailable(`read-only folder ${dir} is not a folder`);
    if (FORBIDDEN_READ_ONLY.test(real)) throw new SandboxUnavailable(`read-only folder ${dir} (${real}) cannot be given to the sandbox: /, /proc, /sys, /dev, /run and /tmp stay the box's own`);
    return real;
  });
}

class SandboxPlace implements Place {
  readonly repo = "/repo";
  readonly private = "/run/acc";
  private readonly bwrap: string[];

  private constructor(
    private readonly holder: ChildProcess,
    private readonly uid: number,
    readOnly: readonly string[],
    private readonly limits: SandboxLimits,
    readonly cgroup: BoxCgroup | undefined,
  ) {
    this.bwrap = bwrapArguments(readOnly);
  }

  get enterPrivate(): string[] {
    return this.enter();
  }

  /** nsenter into the holder's mount namespace (and, without root, its user namespace). */
  private enter(): string[] {
    const pid = this.holder.pid!;
    return isRoot()
      ? ["nsenter", `--mount=/proc/${pid}/ns/mnt`, "--"]
      : ["nsenter", `--user=/proc/${pid}/ns/user`, `--mount=/proc/${pid}/ns/mnt`, "--preserve-credentials", "--"];
  }

  static async start(limits: SandboxLimits, readOnly: readonly string[], useCgroup: boolean): Promise<SandboxPlace> {
    const root = isRoot();
    const uid = root ? boxUid() : 0;
    const namespaces = root ? ["--mount"] : ["--user", "--map-root-user", "--mount"];
    const cgroup = useCgroup ? await boxCgroup(limits) : undefined;
    const holder = spawn("unshare", [ ...namespaces, "--propagation", "private", "--", "sh", "-c", HOLDER, "holder", String(limits.diskBytes), String(limits.files), String(uid), cgroup?.dir ?? "", DRAIN], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? PATH },
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let err = "";
      const fail = (why: string) => reject(new SandboxUnavailable(`cannot set up the box's filesystem (unshare and mount in a new namespace): ${why}`));
      holder.on("error", (error) => fail(error.message));
      holder.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
      holder.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready\n")) resolve();
      });
      holder.on("exit", (code, signal) => fail(err.trim() || `the holder exited (${signal ?? code})`));
    }).catch(async (error: unknown) => {
      if (cgroup) await drain(cgroup.dir);
      throw error;
    });
    // the holder lives until acc closes its stdin (or dies); it must not keep acc alive by itself
    holder.unref();
    for (const stream of [holder.stdin, holder.stdout, holder.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    return new SandboxPlace(holder, uid, readOnly, limits, cgroup);
  }

  launch(argv: readonly string[], env: Record<string, string>): { file: string; args: string[] } {
    const [file, ...enter] = this.enter();
    // acc's death signal is set after the last change of user (which clears it), then the guard checks
    // that acc was still there when it was set
    const drop = isRoot() ? [`--reuid=${this.uid}`, `--regid=${this.uid}`, "--clear-groups"] : [];
    const bound = ["setpriv", ...drop, "--pdeathsig", "SIGKILL", "--", "sh", "-c", PARENT_GUARD, String(process.pid)];
    const variables = Object.entries({ ...BOX_ENV, ...env }).flatMap(([name, value]) => ["--setenv", name, value]);
    const command = [...enter, ...bound, "bwrap", ...this.bwrap, ...variables, "--", "prlimit", ...rlimits(this.limits), "--", ...argv];
    // the first process joins the box's memory cgroup before it becomes the command
    return this.cgroup ? { file: "sh", args: ["-c", JOIN, this.cgroup.procs, file!, ...command] } : { file: file!, args: command };
  }

  async close(): Promise<void> {
    if (this.holder.exitCode !== null || this.holder.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.holder.once("exit", () => resolve()));
    this.holder.stdin!.end();
    const timer = setTimeout(() => this.holder.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The box's memory cgroup, or undefined where the machine has no usable one (then rlimits alone limit memory). */
async function boxCgroup(limits: SandboxLimits): Promise<BoxCgroup | undefined> {
  const detection = await memoryCgroup();
  if (!detection.found) return undefined;
  try {
    return BoxCgroup.create(detection.found, limits.memoryBytes);
  } catch (error) {
    throw new SandboxUnavailable(`cannot make the box's memory cgroup below ${detection.found.dir}: ${(error as Error).message}`);
  }
}

/** The environment every command starts with (bubblewrap clears acc's). */
const BOX_ENV = { PATH, HOME: "/tmp", TMPDIR: "/tmp", LANG: "C.UTF-8", USER: "box", PYTHONDONTWRITEBYTECODE: "1" };

function rlimits(limits: SandboxLimits): string[] {
  return [`--nproc=${limits.processes}`, `--data=${limits.memoryBytes}`, "--core=0"];
}

function bwrapArguments(readOnly: readonly string[]): string[] {
  const args = ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", String(BOX_UID), "--gid", String(BOX_UID), "--hostname", "box", "--die-with-parent", "--new-session"];
  for (const dir of SYSTEM_DIRS) {
    const info = lstatSync(dir, { throwIfNoEntry: false });
    if (info?.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (info?.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  for (const dir of readOnly) args.push("--ro-bind", dir, dir);
  args.push(
    "--proc", "/proc",
    "--dev", "/dev",
    // the holder's tmpfs (sources are read in the holder's mount namespace, where it is /run)
    "--bind", "/run/shm", "/dev/shm",
    "--remount-ro", "/dev",
    "--bind", "/run/repo", "/repo",
    "--bind", "/run/tmp", "/tmp",
    "--dir", "/var",
    "--symlink", "../tmp", "/var/tmp",
    // bubblewrap's own root is a tmpfs without a size limit: read-only, nothing can be stored there
    "--remount-ro", "/",
    "--chdir", "/repo",
    "--clearenv",
  );
  return args;
}

/** No sandbox (asked for explicitly): a host folder, commands as acc's user with the process limits only. */
class UnsafePlace implements Place {
  private constructor(
    private readonly dir: string,
    private readonly limits: SandboxLimits,
  ) {}

  get repo(): string {
    return join(this.dir, "repo");
  }

  get private(): string {
    return join(this.dir, "acc");
  }

  readonly enterPrivate: readonly string[] = [];
  readonly cgroup = undefined;

  static async start(limits: SandboxLimits): Promise<UnsafePlace> {
    const dir = await mkdtemp(join(tmpdir(), "acc-box-"));
    await Promise.all(["repo", "tmp", "acc"].map((name) => mkdir(join(dir, name))));
    return new UnsafePlace(dir, limits);
  }

  launch(argv: readonly string[], env: Record<string, string>): { file: string; args: string[]; cwd: string } {
    const tmp = join(this.dir, "tmp");
    const variables = Object.entries({ ...BOX_ENV, HOME: tmp, TMPDIR: tmp, ...env }).map(([name, value]) => `${name}=${value}`);
    return { file: "env", args: ["-i", ...variables, "prlimit", ...rlimits(this.limits), "--", ...argv], cwd: this.repo };
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A box: its filesystem, and commands run in it with its limits. close() ends them and frees everything. */
export class Box {
  private readonly running = new Set<ChildProcess>();
  private closed = false;

  private constructor(
    private readonly place: Place,
    readonly limits: SandboxLimits,
  ) {}

  static async open(options: BoxOptions): Promise<Box> {
    const place = options.unsafe ? await UnsafePlace.start(options.limits) : await SandboxPlace.start(options.limits, checkReadOnly(options.readOnly ?? []), options.memoryCgroup !== false);
    return new Box(place, options.limits);
  }

  /** The repository's folder as commands see it (/repo in the sandbox). */
  get repo(): string {
    return this.place.repo;
  }

  /** A folder for acc's own files on the box's filesystem, which commands in the box cannot reach. */
  get privateDir(): string {
    return this.place.private;
  }

  /** The box's memory cgroup (its folder), when the machine has a usable one; otherwise memory is limited per process. */
  get cgroup(): BoxCgroup | undefined {
    return this.place.cgroup;
  }

  /** The command prefix under which a host program sees `privateDir` (acc's git runs so). */
  get enterPrivate(): readonly string[] {
    return this.place.enterPrivate;
  }

  /** Runs `argv` in the box; stdout is collected (or streamed to `options.stdout`), stderr's start kept. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stdout = options.stdout ? undefined : new ByteCollector(options.maxStdout ?? this.limits.outputBytes);
    const stderr = new ByteCollector(STDERR_BYTES);
    let streamed = 0;
    return this.spawn(argv, options, (child, stop) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        if (stdout && !stdout.add(chunk)) stop();
        if (!stdout && (streamed += chunk.length) > (options.maxStdout ?? this.limits.outputBytes)) stop();
      });
      if (options.stdout) {
        // a reader that gives up (a refused snapshot) stops the command instead of leaving it blocked on a full pipe
        let ended = false;
        child.stdout!.on("end", () => (ended = true));
        options.stdout.on("close", () => ended || stop());
        child.stdout!.pipe(options.stdout);
      }
      child.stderr!.on("data", (chunk: Buffer) => stderr.add(chunk));
    }).then((end) => ({ ...end, stdout: stdout?.bytes() ?? Buffer.alloc(0), stderr: stderr.bytes().toString("utf8") }));
  }

  /** Runs `sh -c command` in the box, stdout and stderr together, stopped past the box's output limit. */
  run(command: string, options: Omit<ExecOptions, "stdout" | "maxStdout"> = {}): Promise<RunResult> {
    const kept = new OutputKeeper(this.limits.outputChars);
    let size = 0;
    return this.spawn(["sh", "-c", command], options, (child, stop) => {
      const take = (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.limits.outputBytes) return stop();
        kept.add(chunk.toString("utf8"));
      };
      child.stdout!.on("data", take);
      child.stderr!.on("data", take);
    }).then((end) => ({ ...end, output: kept.text() }));
  }

  /** Stops every command still running and frees the box's filesystem. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ends = [...this.running].map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("close", () => resolve()))));
    for (const child of this.running) killGroup(child.pid);
    await Promise.all(ends);
    await this.place.close();
  }

  private spawn(
    argv: readonly string[],
    options: ExecOptions,
    attach: (child: ChildProcess, stop: () => void) => void,
  ): Promise<{ exitCode: number | null; signal: string | null; timedOut: boolean; overflowed: boolean; memoryExceeded: boolean }> {
    // invariant: nothing runs in a box after close(); a call that does is a bug
    if (this.closed) return Promise.reject(new Error("the box is closed"));
    const cgroup = this.place.cgroup;
    const oomKills = cgroup?.oomKills() ?? 0;
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    const launch = this.place.launch(argv, options.env ?? {});
    return new Promise((resolve, reject) => {
      const child = spawn(launch.file, launch.args, { ...(launch.cwd ? { cwd: launch.cwd } : {}), env: { PATH: process.env.PATH ?? PATH }, detached: true, stdio: ["pipe", "pipe", "pipe"] });
      this.running.add(child);
      let timedOut = false;
      let overflowed = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      attach(child, () => {
        overflowed = true;
        killGroup(child.pid);
      });
      // a command that does not read its input closes the pipe early: that is its business
      child.stdin!.on("error", () => undefined);
      const input = options.stdin;
      if (input === undefined) child.stdin!.end();
      else if (typeof input === "string" || Buffer.isBuffer(input)) child.stdin!.end(input);
      else {
        input.on("error", () => killGroup(child.pid));
        input.pipe(child.stdin!);
      }
      child.on("error", (error) => {
        clearTimeout(timer);
        this.running.delete(child);
        reject(error);
      });
      child.on("close", (exitCode, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        resolve({ exitCode, signal, timedOut, overflowed, memoryExceeded: cgroup !== undefined && cgroup.oomKills() > oomKills });
      });
    });
  }
}
