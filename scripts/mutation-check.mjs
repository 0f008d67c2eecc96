// node scripts/mutation-check.mjs [defence …]
// Checks that the attacker suite (test/security/) would notice each defence going missing: removes one
// defence at a time from the sources, runs the attacks that answer for it, and restores the file (also on
// Ctrl-C). A defence whose attacks still pass is reported as not caught. Never commit a mutation: the
// script restores every file it changed before it ends and refuses to start on a file with changes.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const MUTATIONS = [
  {
    defence: "no nested user namespaces (bwrap --disable-userns)",
    file: "src/run/sandbox/box.ts",
    from: `"--unshare-user", "--disable-userns", `,
    to: `"--unshare-user", `,
    test: "test/security/repo-attacks",
    attacks: ["host-writes-mounts-namespaces-and-signals"],
  },
  {
    defence: "acc's environment cleared (bwrap --clearenv)",
    file: "src/run/sandbox/box.ts",
    from: `    "--clearenv",\n`,
    to: "",
    test: "test/security/repo-attacks",
    attacks: ["host-writes-mounts-namespaces-and-signals", "proc-self-root-and-other-processes"],
  },
  {
    defence: "git's safe configuration (hooks and fsmonitor off)",
    file: "src/run/sandbox/git.ts",
    from: `  "core.hooksPath=/dev/null",\n  "core.fsmonitor=false",\n`,
    to: "",
    test: "test/security/repo-attacks",
    attacks: ["git-file-points-at-a-repository-with-fsmonitor", "own-git-config-with-fsmonitor-hooks-and-hooks-path", "repository-config-filters-fsmonitor-and-hooks-never-run"],
  },
  {
    defence: "git reads no global configuration (GIT_CONFIG_GLOBAL=/dev/null, HOME)",
    file: "src/run/sandbox/git.ts",
    from: `    GIT_CONFIG_GLOBAL: "/dev/null",\n`,
    to: "",
    test: "test/security/repo-attacks",
    attacks: ["git-file-points-at-a-repository-with-fsmonitor", "own-git-config-with-fsmonitor-hooks-and-hooks-path", "repository-config-filters-fsmonitor-and-hooks-never-run"],
  },
  {
    defence: "the box's filesystem is nosuid",
    file: "src/run/sandbox/box.ts",
    from: `uid=$3,gid=$3,nosuid,nodev"`,
    to: `uid=$3,gid=$3,nodev"`,
    test: "test/security/repo-attacks",
    attacks: ["devices-and-setuid"],
  },
  {
    defence: "the parent guard (a box command stops when acc died before its death signal was set, c58c017)",
    file: "src/run/sandbox/box.ts",
    from: "const PARENT_GUARD = `[ \"$PPID\" = \"$0\" ] && exec \"$@\"; exit 125`;",
    to: "const PARENT_GUARD = `exec \"$@\"`;",
    test: "test/security/crash",
  },
  {
    defence: "commands join the box's memory cgroup before they run",
    file: "src/run/sandbox/cgroup.ts",
    from: 'export const JOIN = `echo $$ > "$0" || { echo "acc: cannot enter the box\'s memory cgroup $0" >&2; exit 125; }; exec "$@"`;',
    to: 'export const JOIN = `exec "$@"`;',
    test: "test/security/cgroup",
  },
  {
    defence: "the box's memory cgroup emptied when the box ends",
    file: "src/run/sandbox/cgroup.ts",
    from: `  if [ -e "$g/cgroup.kill" ]; then echo 1 > "$g/cgroup.kill"; else for p in $(cat "$g/cgroup.procs"); do kill -9 "$p"; done; fi 2>/dev/null\n`,
    to: "",
    test: "test/security/cgroup",
  },
  {
    defence: "the SQL statement class decided before prepare",
    file: "src/run/sqlite-child.ts",
    from: "    if (!verdict.ok) return",
    to: "    if (verdict.ok === undefined) return",
    test: "test/security/sql-attacks",
  },
  {
    defence: "the SQL result limit",
    file: "src/run/sqlite-child.ts",
    from: "    if (bytes > RESULT_BYTES) throw",
    to: "    if (bytes < 0) throw",
    test: "test/run/sqlite-process test/security/sql-attacks",
  },
];

const wanted = process.argv.slice(2);
const chosen = MUTATIONS.filter((m) => wanted.length === 0 || wanted.some((w) => m.defence.includes(w)));
let pending;
const restore = () => {
  if (pending) writeFileSync(pending.file, pending.text);
  pending = undefined;
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (restore(), process.exit(130)));

const rows = [];
for (const mutation of chosen) {
  if (spawnSync("git", ["diff", "--quiet", "--", mutation.file]).status !== 0) throw new Error(`${mutation.file} has uncommitted changes: commit or stash them first`);
  const text = readFileSync(mutation.file, "utf8");
  if (text.split(mutation.from).length !== 2) throw new Error(`${mutation.file}: the defence "${mutation.defence}" is not found once; update this script`);
  pending = { file: mutation.file, text };
  writeFileSync(mutation.file, text.replace(mutation.from, mutation.to));
  const started = Date.now();
  const run = spawnSync(process.execPath, ["scripts/run-tests.mjs", ...mutation.test.split(" ")], {
    encoding: "utf8",
    env: { ...process.env, ...(mutation.attacks ? { ACC_ATTACKS: mutation.attacks.join(",") } : {}) },
  });
  restore();
  const failed = [...(run.stdout ?? "").matchAll(/^✖ (.+?) \(\d/gm)].map((m) => m[1]).filter((name, i, all) => all.indexOf(name) === i && name !== "failing tests:");
  const caught = run.status !== 0;
  rows.push(`| ${mutation.defence} | ${mutation.test}${mutation.attacks ? ` (${mutation.attacks.join(", ")})` : ""} | ${caught ? `caught: ${failed.join("; ") || `exit ${run.status}`}` : "NOT caught: every test passed"} | ${Math.round((Date.now() - started) / 1000)} s |`);
  console.log(rows.at(-1));
}
console.log(["", "| defence removed | attacks run | result | time |", "|---|---|---|---|", ...rows].join("\n"));
