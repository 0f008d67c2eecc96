// A run killed with SIGKILL (no handler runs) in the middle of a tool call, a test run or a statement
// leaves nothing behind: no box, holder or SQLite process, no box memory cgroup, no temporary folder, no
// change to the source repository (its bytes and worktree list) or the database.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { memoryCgroup } from "../../src/run/sandbox/cgroup.js";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { tempDir } from "../helpers/collect.js";
import { RUN_TYPESCRIPT } from "../helpers/typescript.js";
import { calcRepo } from "../verify/calc-repo.js";
import { exampleData } from "../rollout/harness.js";
import { Canary, repositoryHash } from "./canary.js";

const skip = (await sandboxProblem()) ?? false;
const CHILD = join(import.meta.dirname, "crash-child.ts");
const cgroup = (await memoryCgroup()).found;

/** The box memory cgroups the acc process `pid` made that are still there (none where no cgroup is used). */
const groupsOf = (pid: number) => (cgroup ? readdirSync(cgroup.dir).filter((name) => name.startsWith(`acc-${pid}-`)) : []);

/** Every process descending from `root`, with its command line. */
function descendants(root: number): Map<number, string> {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      // the fields after the command name (which may hold spaces): state, then the parent's pid
      parents.set(Number(name), Number(readFileSync(`/proc/${name}/stat`, "utf8").split(") ").at(-1)!.split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid || found.has(child)) continue;
      try {
        found.set(child, readFileSync(`/proc/${child}/cmdline`, "utf8").replaceAll("\0", " ").trim());
      } catch {
        continue;
      }
      walk(child);
    }
  };
  walk(root);
  return found;
}

/**
 * Kills the child with SIGKILL once its long step runs (`runs` holds for one of its processes' command
 * lines); what it had started then (holder, box, SQLite process).
 */
async function killMidway(args: string[], runs: string): Promise<{ started: Map<number, string>; pid: number; groups: string[] }> {
  const child = spawn(process.execPath, [...RUN_TYPESCRIPT, CHILD, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const closed = new Promise((resolve) => child.once("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("running") && resolve());
    child.on("exit", (code) => reject(new Error(`the child ended first (${code})`)));
  });
  let started = descendants(child.pid!);
  for (let i = 0; i < 300 && ![...started.values()].some((command) => command.includes(runs)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    started = descendants(child.pid!);
  }
  const groups = groupsOf(child.pid!);
  child.kill("SIGKILL");
  await closed;
  assert.ok([...started.values()].some((command) => command.includes(runs)), `the long step (${runs}) was running when the child was killed`);
  return { started, pid: child.pid!, groups };
}

/** Which of `started` still run (zombies being reaped aside). */
function alive(started: Map<number, string>): string[] {
  return [...started].filter(([pid]) => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return false;
    }
  }).map(([pid, command]) => `${pid} ${command}`);
}

async function settled(check: () => string[]): Promise<string[]> {
  let left = check();
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = check();
  }
  return left;
}

for (const mode of ["repo", "verify"] as const) {
  test(`killed mid-${mode === "repo" ? "tool call" : "test run"}: no box, holder, process or memory cgroup left, no temporary folder, the repository unchanged`, { skip }, async () => {
    const canary = await new Canary().start();
    try {
      const { repo, base } = calcRepo();
      const before = repositoryHash(repo);
      const { started, pid, groups } = await killMidway([mode, repo, base], "sleep 5");
      if (cgroup) assert.notDeepEqual(groups, [], "the box had a memory cgroup");
      assert.ok([...started.values()].some((command) => command.includes("acc-box")), "a box holder was running");
      assert.deepEqual(await settled(() => alive(started)), [], "the holder and the box's commands died with acc");
      assert.deepEqual(await settled(() => groupsOf(pid)), [], "the box's memory cgroup is removed");
      await canary.check(`killed ${mode}`);
      canary.checkTemporaryFolders(`killed ${mode}`);
      assert.equal(repositoryHash(repo), before, "the repository's bytes and worktree list are unchanged");
    } finally {
      await canary.close();
    }
  });
}

/** Processes whose command line holds `marker`. */
function withMarker(marker: string): string[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return command.includes(marker) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8")) ? [`${pid} ${command}`] : [];
      } catch {
        return [];
      }
    });
}

// A command's launch (nsenter, setpriv, bubblewrap, its pid-1) takes a few milliseconds before every
// process of it is bound to acc's life: acc killed in that window must not leave the command running.
test("killed while a box's command is being launched: nothing of the command is left", { skip }, async () => {
  const left: string[] = [];
  for (const delayMs of [0, 1, 2, 4, 8, 16, 32, 64]) {
    const marker = `acc-launch-${process.pid}-${delayMs}`;
    const child = spawn(process.execPath, [...RUN_TYPESCRIPT, CHILD, "launch", String(delayMs), marker], { stdio: "inherit" });
    await new Promise((resolve) => child.once("close", resolve));
    left.push(...(await settled(() => withMarker(marker))), ...(await settled(() => groupsOf(child.pid!))));
  }
  assert.deepEqual(left, [], "the command died with acc");
});

test("killed mid-statement: the SQLite process ends with acc and the database is unchanged", async () => {
  const db = join(tempDir("acc-crash-sql-"), "bookshop.sqlite");
  copyFileSync(exampleData().db, db);
  const digest = createHash("sha256").update(readFileSync(db)).digest("hex");
  const { started } = await killMidway(["sql", db], "sqlite-child");
  assert.deepEqual(await settled(() => alive(started)), [], "the SQLite process exited");
  assert.equal(createHash("sha256").update(readFileSync(db)).digest("hex"), digest);
  assert.deepEqual(readdirSync(join(db, "..")), ["bookshop.sqlite"]);
});
