// The memory cgroup of a box: one group per box, below acc's own group, limiting what the box's processes
// use together (per-process rlimits do not bound the sum: N processes each just under the limit). Found
// here, never assumed: cgroup v2 (the `0::` line of /proc/self/cgroup, `memory` among the group's
// controllers) or the v1 `memory` hierarchy (its mount in /proc/self/mountinfo and acc's path in it),
// writable by acc. Where neither is usable, the box's memory is limited per process (RLIMIT_DATA) alone.
// Groups are named acc-<pid>-<start time>-<n> after the acc process that made them: a later acc removes
// those of an acc that is gone (killed before its holder could), and never another live acc's.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface MemoryCgroup {
  version: 1 | 2;
  /** acc's own group: boxes' groups are made below it. */
  dir: string;
}

export type CgroupDetection = { found: MemoryCgroup; reason?: undefined } | { found?: undefined; reason: string };

/** What detection reads, replaceable in tests by a fake cgroup tree. */
export interface CgroupSources {
  /** /proc/self/cgroup's text. */
  cgroup: string;
  /** /proc/self/mountinfo's text. */
  mountinfo: string;
  pid: number;
}

// Empties a group and removes it: kills every process in it (those that left the box's process group with
// setsid or a double fork too), until the kernel lets the group go. Used by the box's holder when the box
// ends (acc closed it, or died) and by the sweep of a dead acc's groups.
export const DRAIN = `g=$1; n=0
while [ -d "$g" ] && ! rmdir "$g" 2>/dev/null; do
  if [ -e "$g/cgroup.kill" ]; then echo 1 > "$g/cgroup.kill"; else for p in $(cat "$g/cgroup.procs"); do kill -9 "$p"; done; fi 2>/dev/null
  n=$((n + 1)); [ "$n" -lt 2000 ] || exit 1
  sleep 0.005
done`;

// A command's first process: joins the box's group, then becomes the command (nsenter, setpriv, bubblewrap
// and the untrusted program inherit the group; nothing runs before it is in). $0 is the group's procs file.
export const JOIN = `echo $$ > "$0" || { echo "acc: cannot enter the box's memory cgroup $0" >&2; exit 125; }; exec "$@"`;

const BOX_NAME = /^acc-(\d+)-(\d+)-(?:\d+|self|probe)$/;

/** A process's start time (clock ticks after boot; /proc/<pid>/stat's 22nd field), or undefined when it is gone. */
function startTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1)!.split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Unescapes mountinfo's octal escapes (a space is \040). */
const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** Where a group of a hierarchy is: the mount's point plus the group's path below the mount's root. */
function inMount(mountRoot: string, mountPoint: string, path: string): string | undefined {
  if (mountRoot === "/") return join(mountPoint, path);
  if (path === mountRoot || path.startsWith(`${mountRoot}/`)) return join(mountPoint, path.slice(mountRoot.length));
  return undefined;
}

interface Mount {
  root: string;
  point: string;
  type: string;
  superOptions: string[];
}

function mounts(mountinfo: string): Mount[] {
  return mountinfo.split("\n").filter(Boolean).map((line) => {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    return { root: unescape(fields[3]!), point: unescape(fields[4]!), type: fields[dash + 1]!, superOptions: (fields[dash + 3] ?? "").split(",") };
  });
}

const words = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split(/\s+/).filter(Boolean) : []);

/** cgroup v2: acc's group, with `memory` for its children (enabled here, moving acc into a leaf of its own if it is alone in the group). */
function version2(sources: CgroupSources, all: Mount[]): CgroupDetection {
  const path = /^0::(.*)$/m.exec(sources.cgroup)?.[1];
  if (path === undefined) return { reason: "no cgroup v2 group in /proc/self/cgroup" };
  const dirs = all.filter((m) => m.type === "cgroup2").map((m) => inMount(m.root, m.point, path)).filter((dir) => dir !== undefined);
  const dir = dirs.find((d) => existsSync(join(d, "cgroup.controllers")));
  if (!dir) return { reason: `acc's cgroup v2 group ${path} is not mounted here` };
  if (!words(join(dir, "cgroup.controllers")).includes("memory")) return { reason: `cgroup v2 ${dir} has no memory controller (cgroup.controllers: ${words(join(dir, "cgroup.controllers")).join(" ") || "none"})` };
  if (words(join(dir, "cgroup.subtree_control")).includes("memory")) return { found: { version: 2, dir } };
  try {
    writeFileSync(join(dir, "cgroup.subtree_control"), "+memory");
    return { found: { version: 2, dir } };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EBUSY") return { reason: `cannot enable memory for child groups of cgroup v2 ${dir}: ${(error as Error).message}` };
  }
  // processes in the group keep it from giving controllers to its children (the no-internal-process rule):
  // when acc is the only one, it moves into a leaf of its own beside the boxes' groups
  const procs = words(join(dir, "cgroup.procs"));
  if (procs.length !== 1 || procs[0] !== String(sources.pid)) return { reason: `cgroup v2 ${dir} holds other processes than acc, so its child groups cannot have the memory controller (no-internal-process rule)` };
  try {
    const leaf = join(dir, `acc-${sources.pid}-${startTime(sources.pid) ?? 0}-self`);
    mkdirSync(leaf);
    writeFileSync(join(leaf, "cgroup.procs"), String(sources.pid));
    writeFileSync(join(dir, "cgroup.subtree_control"), "+memory");
    return { found: { version: 2, dir } };
  } catch (error) {
    return { reason: `cannot enable memory for child groups of cgroup v2 ${dir}: ${(error as Error).message}` };
  }
}

/** cgroup v1: acc's group in the `memory` hierarchy. */
function version1(sources: CgroupSources, all: Mount[]): CgroupDetection {
  const line = sources.cgroup.split("\n").find((l) => l.split(":")[1]?.split(",").includes("memory"));
  const path = line?.split(":").slice(2).join(":");
  if (path === undefined) return { reason: "no cgroup v1 memory hierarchy in /proc/self/cgroup" };
  const mount = all.find((m) => m.type === "cgroup" && m.superOptions.includes("memory") && inMount(m.root, m.point, path) !== undefined);
  const dir = mount && inMount(mount.root, mount.point, path);
  if (!dir || !existsSync(join(dir, "memory.limit_in_bytes"))) return { reason: `acc's cgroup v1 memory group ${path} is not mounted here` };
  return { found: { version: 1, dir } };
}

/** acc's memory cgroup for boxes, or why there is none. A child group is made and removed to be sure. */
export function detectMemoryCgroup(sources: CgroupSources): CgroupDetection {
  const all = mounts(sources.mountinfo);
  const v2 = version2(sources, all);
  const detection = v2.found ? v2 : version1(sources, all);
  if (!detection.found) return { reason: `${v2.reason}; ${detection.reason}` };
  const probe = join(detection.found.dir, `acc-${sources.pid}-${startTime(sources.pid) ?? 0}-probe`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (error) {
    return { reason: `cannot make a child group of cgroup v${detection.found.version} ${detection.found.dir}: ${(error as Error).message}` };
  }
  return detection;
}

let detected: Promise<CgroupDetection> | undefined;

/** This process's detection (once: callers at the same time share it), after removing the groups of acc processes that are gone. */
export function memoryCgroup(): Promise<CgroupDetection> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<CgroupDetection> {
  let found: CgroupDetection;
  try {
    found = detectMemoryCgroup({ cgroup: readFileSync("/proc/self/cgroup", "utf8"), mountinfo: readFileSync("/proc/self/mountinfo", "utf8"), pid: process.pid });
  } catch (error) {
    found = { reason: `cannot read the process's cgroups: ${(error as Error).message}` };
  }
  if (found.found) await sweepStaleGroups(found.found.dir);
  return found;
}

/** Removes the box groups below `dir` whose acc process is gone (its pid dead, or reused by a process started later). */
export async function sweepStaleGroups(dir: string): Promise<string[]> {
  const stale = readdirSync(dir).filter((name) => {
    const match = BOX_NAME.exec(name);
    return match && startTime(Number(match[1])) !== match[2];
  });
  await Promise.all(stale.map((name) => drain(join(dir, name))));
  return stale;
}

/** Kills every process of the group and removes it. */
export function drain(group: string): Promise<void> {
  return new Promise((resolve) => execFile("sh", ["-c", DRAIN, "drain", group], () => resolve()));
}

let groups = 0;

/** A box's group: the box's processes together may use `bytes` of memory (swap included where the kernel counts it). */
export class BoxCgroup {
  private constructor(
    readonly version: 1 | 2,
    readonly dir: string,
  ) {}

  static create(parent: MemoryCgroup, bytes: number): BoxCgroup {
    const dir = join(parent.dir, `acc-${process.pid}-${startTime(process.pid) ?? 0}-${groups++}`);
    mkdirSync(dir);
    try {
      if (parent.version === 2) {
        writeFileSync(join(dir, "memory.max"), String(bytes));
        optional(join(dir, "memory.swap.max"), "0");
      } else {
        writeFileSync(join(dir, "memory.limit_in_bytes"), String(bytes));
        // memory and swap together: the same limit, so nothing goes to swap past it
        optional(join(dir, "memory.memsw.limit_in_bytes"), String(bytes));
      }
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    return new BoxCgroup(parent.version, dir);
  }

  /** The file a process writes its pid to, to join the group. */
  get procs(): string {
    return join(this.dir, "cgroup.procs");
  }

  /** How many times the kernel killed a process of the group at its memory limit. */
  oomKills(): number {
    try {
      const text = readFileSync(join(this.dir, this.version === 2 ? "memory.events" : "memory.oom_control"), "utf8");
      return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }
}

/** Writes a control file the kernel may not have (swap accounting off). */
function optional(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
