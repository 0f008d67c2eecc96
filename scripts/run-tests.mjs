// Runs every test/**/*.test.ts (or those whose path contains one of the arguments), each file in its own
// Node process with node:test's spec reporter, as many at once as there are cores. Files start longest
// first, by the durations recorded in test/durations.json, so the slow ones do not end the run alone.
// Each file's output is printed whole when it ends, with its duration; the run ends with the slowest files.
// `--durations` records this run's durations into test/durations.json (run it on the whole suite).
// Once per run, into temporary folders removed at the end: src/ and test/ are transpiled (each test process
// loads them through scripts/ts-loader.mjs, not tsx: ACC_TS_CACHE), and the package is built from the
// current src/ (scripts/build-package.mjs) for the tests that run acc as a separate process (ACC_TEST_PACKAGE).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { buildPackage } from "./build-package.mjs";
import { transpileTree } from "./ts-hooks.mjs";

const DURATIONS = "test/durations.json";
/** A file not yet in test/durations.json is taken for a slow one: it starts early rather than last. */
const UNKNOWN_SECONDS = 30;
/**
 * A file still running after this long is hung (the slowest takes about three minutes on CI's 2 cores): its
 * process group is killed and the file fails, so one hang cannot hold the run until CI's own limit.
 */
const FILE_TIMEOUT_SECONDS = 600;

function findTests(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return findTests(path);
      return name.endsWith(".test.ts") ? [path] : [];
    });
}

const args = process.argv.slice(2);
const record = args.includes("--durations");
const filters = args.filter((arg) => arg !== "--durations");
const files = findTests("test").filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const known = existsSync(DURATIONS) ? JSON.parse(readFileSync(DURATIONS, "utf8")) : {};
const expected = (file) => known[file] ?? UNKNOWN_SECONDS;
const queue = [...files].sort((a, b) => expected(b) - expected(a));

const LOADER = join(import.meta.dirname, "ts-loader.mjs");
const pkg = mkdtempSync(join(tmpdir(), "acc-test-package-"));
const cache = mkdtempSync(join(tmpdir(), "acc-test-js-"));
/** Process groups of the test files running now: each file's own processes (servers, acc, Redis) go with it. */
const running = new Set();
const killGroup = (pid) => {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group has already exited
  }
};
process.on("exit", () => {
  running.forEach(killGroup);
  [pkg, cache].forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) process.on(signal, () => process.exit(code));
await Promise.all([buildPackage(pkg), transpileTree(cache, ["src", "test"])]);

function runFile(file) {
  return new Promise((resolve) => {
    const started = performance.now();
    const env = { ...process.env, ACC_TEST_PACKAGE: pkg, ACC_TS_CACHE: cache, ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}) };
    const child = spawn(process.execPath, ["--import", LOADER, "--test-reporter=spec", file], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, FILE_TIMEOUT_SECONDS * 1000);
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      const seconds = (performance.now() - started) / 1000;
      const ok = code === 0;
      const why = timedOut ? `killed: still running after ${FILE_TIMEOUT_SECONDS} s` : `exit ${code ?? signal}`;
      process.stdout.write(`\n${ok ? "✔" : "✖"} ${file} (${seconds.toFixed(1)} s${ok ? "" : `, ${why}`})\n`);
      process.stdout.write(Buffer.concat(output));
      resolve({ file, seconds, ok });
    });
  });
}

const started = performance.now();
const results = [];
async function worker() {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(file));
}
await Promise.all(Array.from({ length: Math.min(availableParallelism(), files.length) }, worker));
const wall = (performance.now() - started) / 1000;

const failed = results.filter((result) => !result.ok);
console.log(`\nslowest files:`);
for (const { file, seconds } of [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 10)) console.log(`${seconds.toFixed(1).padStart(7)} s  ${file}`);
console.log(`\n${results.length} files in ${wall.toFixed(1)} s, ${failed.length} failed${failed.map((result) => `\n  ✖ ${result.file}`).join("")}`);
if (record) {
  const durations = { ...known };
  for (const { file, seconds } of results) durations[file] = Math.round(seconds * 10) / 10;
  const present = new Set(findTests("test"));
  const sorted = Object.fromEntries(Object.entries(durations).filter(([file]) => present.has(file)).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(DURATIONS, `${JSON.stringify(sorted, null, 2)}\n`);
}
process.exit(failed.length === 0 ? 0 : 1);
