// Finding the memory cgroup on fake cgroup trees (a temporary folder standing for /sys/fs/cgroup, with the
// mountinfo and /proc/self/cgroup lines that point at it): cgroup v2 (not usable on this project's machines),
// a v2 mount of a subtree (a container), the v1 memory hierarchy, and the reasons when there is none; and
// the control files a box's group gets written where they belong.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BoxCgroup, detectMemoryCgroup } from "../../../src/run/sandbox/cgroup.js";
import { tempDir } from "../../helpers/collect.js";

const MIB = 1024 * 1024;

/** A folder of the fake tree with the given control files. */
function group(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const v2mount = (root: string, point: string) => `40 30 0:37 ${root} ${point.replaceAll(" ", "\\040")} rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n`;

test("cgroup v2: acc's group from the 0:: line, memory enabled for its children, a box's group limited with no swap", () => {
  // a space in the path: mountinfo writes it \040
  const root = tempDir("acc-fake cgroup-");
  const own = group(join(root, "user.slice/acc.scope"), { "cgroup.controllers": "cpu io memory pids\n", "cgroup.subtree_control": "\n", "cgroup.procs": "" });
  const detection = detectMemoryCgroup({ cgroup: "0::/user.slice/acc.scope\n", mountinfo: `22 1 8:1 / / rw - ext4 /dev/sda1 rw\n${v2mount("/", root)}`, pid: process.pid });
  assert.deepEqual(detection, { found: { version: 2, dir: own } });
  assert.equal(readFileSync(join(own, "cgroup.subtree_control"), "utf8"), "+memory", "memory enabled for the children");
  assert.deepEqual(readdirSync(own).sort(), ["cgroup.controllers", "cgroup.procs", "cgroup.subtree_control"], "the probe group is removed");
  const box = BoxCgroup.create(detection.found!, 64 * MIB);
  assert.match(box.dir, new RegExp(`^${own.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/acc-${process.pid}-\\d+-\\d+$`));
  assert.equal(readFileSync(join(box.dir, "memory.max"), "utf8"), String(64 * MIB));
  assert.equal(readFileSync(join(box.dir, "memory.swap.max"), "utf8"), "0");
  assert.equal(box.procs, join(box.dir, "cgroup.procs"));
  writeFileSync(join(box.dir, "memory.events"), "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n");
  assert.equal(box.oomKills(), 2);
});

test("cgroup v2 mounted from a subtree (a container's view): the group is found below the mount's root; memory already delegated is used as is", () => {
  const root = tempDir("acc-fake-cgroup-");
  const own = group(join(root, "acc.scope"), { "cgroup.controllers": "memory pids\n", "cgroup.subtree_control": "memory\n" });
  const detection = detectMemoryCgroup({ cgroup: "0::/machine.slice/acc.scope\n", mountinfo: v2mount("/machine.slice", root), pid: process.pid });
  assert.deepEqual(detection, { found: { version: 2, dir: own } });
  assert.equal(readFileSync(join(own, "cgroup.subtree_control"), "utf8"), "memory\n", "nothing rewritten");
});

test("cgroup v1: the memory hierarchy's mount and acc's path in it; a box's group limited, swap included", () => {
  const root = tempDir("acc-fake-cgroup-");
  const unified = group(join(root, "unified"), { "cgroup.controllers": "hugetlb\n" });
  const own = group(join(root, "memory/process_api/abc"), { "memory.limit_in_bytes": "9223372036854771712\n" });
  const detection = detectMemoryCgroup({
    cgroup: "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n",
    mountinfo: `31 30 0:28 / ${join(root, "cpu")} rw - cgroup cgroup rw,cpu\n34 30 0:31 / ${join(root, "memory")} rw,relatime - cgroup cgroup rw,memory\n${v2mount("/", unified)}`,
    pid: process.pid,
  });
  assert.deepEqual(detection, { found: { version: 1, dir: own } });
  const box = BoxCgroup.create(detection.found!, 256 * MIB);
  assert.equal(readFileSync(join(box.dir, "memory.limit_in_bytes"), "utf8"), String(256 * MIB));
  assert.equal(readFileSync(join(box.dir, "memory.memsw.limit_in_bytes"), "utf8"), String(256 * MIB));
  writeFileSync(join(box.dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  assert.equal(box.oomKills(), 3);
});

test("no usable memory cgroup: each reason says what is missing (then the box limits memory per process)", () => {
  const root = tempDir("acc-fake-cgroup-");
  const unified = group(join(root, "unified"), { "cgroup.controllers": "hugetlb\n" });
  const noMemory = detectMemoryCgroup({ cgroup: "0::/\n", mountinfo: v2mount("/", unified), pid: process.pid });
  assert.match(noMemory.reason ?? "", /has no memory controller \(cgroup\.controllers: hugetlb\); no cgroup v1 memory hierarchy/);
  const notMounted = detectMemoryCgroup({ cgroup: "4:memory:/process_api/abc\n", mountinfo: "", pid: process.pid });
  assert.match(notMounted.reason ?? "", /no cgroup v2 group.*cgroup v1 memory group \/process_api\/abc is not mounted here/);
});
