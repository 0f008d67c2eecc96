import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, watch, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { builtCli } from "../helpers/built-cli.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample, OUTPUTS, teacherReply } from "../teach/helpers.js";

// Ctrl-C on the real process: one line saying how to resume (for stages that can), exit 130 as a shell
// reports it, no temporary file left, and a rerun that picks up where the interrupted one stopped.


const { main } = await builtCli();

function start(argv: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [main, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
  return { child, done };
}

/** Resolves when a file whose name matches appears in `dir`. */
function appears(dir: string, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      const name = readdirSync(dir).find((n) => pattern.test(n));
      if (name) {
        watcher.close();
        resolve(name);
      }
    });
  });
}

test("Ctrl-C during import says how to resume; the rerun finishes byte-identical to an uninterrupted run", async () => {
  const dir = tempDir();
  const logs = readFileSync(join(EXAMPLE_LOGS, "search-agents.jsonl"), "utf8");
  const input = join(dir, "big.jsonl");
  writeFileSync(input, logs.repeat(Math.ceil(16_000_000 / logs.length)));
  const out = join(dir, "out");
  mkdirSync(out);
  const argv = (folder: string) => ["import", input, "-o", join(folder, "trajectories.jsonl"), "-q"];
  const run = start(argv(out));
  // interrupted once a checkpoint is saved
  await appears(out, /^\.trajectories\.jsonl\.import-state\.json$/);
  run.child.kill("SIGINT");
  const { code, stderr } = await run.done;
  assert.equal(code, 130);
  assert.equal(stderr.trimEnd().split("\n").at(-1), `acc: interrupted (SIGINT); rerun the same command to resume (progress is saved in ${out})`);
  assert.deepEqual(readdirSync(out).filter((name) => name.includes(".tmp-")), [], "no temporary file");
  assert.ok(readdirSync(out).includes("trajectories.jsonl.partial"), "the partial output is kept for the rerun");
  const resumed = await runCli(argv(out));
  assert.equal(resumed.code, 0, resumed.stderr);
  const fresh = join(dir, "fresh");
  assert.equal((await runCli(argv(fresh))).code, 0);
  assert.equal(readFileSync(join(out, "trajectories.jsonl"), "utf8"), readFileSync(join(fresh, "trajectories.jsonl"), "utf8"));
  assert.deepEqual(readdirSync(out), ["trajectories.jsonl"], "no checkpoint or partial file left");
});

test("Ctrl-C during teach says how to resume; the rerun finishes byte-identical to an uninterrupted run", async () => {
  let hang = true;
  let hung!: () => void;
  const hanging = new Promise<void>((resolve) => (hung = resolve));
  // The third request hangs: the run is mid-way, with two answers checkpointed.
  const server = await startOpenAIServer((request) => {
    if (!hang || request.index < 2) return teacherReply(request);
    hung();
    return { type: "hang" };
  });
  try {
    const dir = tempDir();
    const samples = join(dir, "samples.jsonl");
    writeFileSync(samples, [1, 2, 3, 4, 5, 6].map((i) => `${JSON.stringify(itemSample(i))}\n`).join(""));
    const argv = (out: string) => ["teach", samples, "--endpoint", server.url, "--model", "m", "--candidates", "2", "--concurrency", "1", "-o", out, "-q"];
    const out = join(dir, "teach");
    const run = start(argv(out));
    await hanging;
    run.child.kill("SIGINT");
    const { code, stderr } = await run.done;
    assert.equal(code, 130);
    assert.equal(stderr.trimEnd().split("\n").at(-1), `acc: interrupted (SIGINT); rerun the same command to resume (progress is saved in ${out})`);
    assert.deepEqual(readdirSync(out).filter((name) => name.includes(".tmp-")), [], "no temporary file");
    hang = false;
    const resumed = await runCli(argv(out));
    assert.equal(resumed.code, 0, resumed.stderr);
    const fresh = await runCli(argv(join(dir, "fresh")));
    assert.equal(fresh.code, 0, fresh.stderr);
    for (const file of OUTPUTS) assert.equal(readFileSync(join(out, file), "utf8"), readFileSync(join(dir, "fresh", file), "utf8"), file);
  } finally {
    await server.close();
  }
});
