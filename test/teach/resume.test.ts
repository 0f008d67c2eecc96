import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { builtCli } from "../helpers/built-cli.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample, readOutputs, teacherReply, writeSamples } from "./helpers.js";

const REPO_ROOT = resolve(join(import.meta.dirname, "../.."));
const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

/** Answers stored in a cache folder (one line per answer in its packs). */
function cachedAnswers(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl") && !name.startsWith("."))
    .reduce((n, name) => n + readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean).length, 0);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("teach: kill -9 mid-run and rerun: byte-identical outputs, and no answered request is paid for twice", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 60 }, (_, i) => itemSample(i + 1)));
  const args = (server: string, out: string) => ["teach", input, "--endpoint", server, "--model", "teacher", "--candidates", "4", "-o", out, "--cache", join(out, "cache"), "--concurrency", "8", "-q"];

  const cleanServer = await startOpenAIServer(teacherReply);
  cleanups.push(() => cleanServer.close());
  const clean = join(dir, "clean");
  const result = await runCli(args(cleanServer.url, clean));
  assert.equal(result.code, 0, result.stderr);
  const uninterrupted = cleanServer.requests.length;

  // the first run's server answers LIMIT requests, then stops answering; the run is killed there
  const LIMIT = 50;
  assert.ok(LIMIT < uninterrupted);
  let answered = 0;
  const server = await startOpenAIServer((request) => {
    if (answered >= LIMIT) return { type: "hang" };
    answered++;
    return teacherReply(request);
  });
  cleanups.push(() => server.close());
  const out = join(dir, "crashed");
  // the semi-space size acc relaunches teach with, given here: one process, the one doing the work, is killed (src/cli/relaunch.ts)
  const child = spawn(process.execPath, ["--max-semi-space-size=64", (await builtCli()).main, ...args(server.url, out)], { cwd: REPO_ROOT, stdio: "ignore" });
  const state = join(out, ".teach-state.json");
  await waitFor(() => answered === LIMIT && cachedAnswers(join(out, "cache")) === LIMIT, "the answered requests to be cached");
  await waitFor(() => existsSync(state) && JSON.parse(readFileSync(state, "utf8")).done > 0, "a checkpoint");
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  const doneAtKill = JSON.parse(readFileSync(state, "utf8")).done as number;
  assert.ok(doneAtKill > 0 && doneAtKill < 60, `killed mid-run (${doneAtKill} samples checkpointed)`);

  let answeredAfter = 0;
  server.setScript((request) => {
    answeredAfter++;
    return teacherReply(request);
  });
  const resumed = await runCli(args(server.url, out));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(readOutputs(out), readOutputs(clean));
  assert.equal(LIMIT + answeredAfter, uninterrupted, "answered requests across both runs = those of an uninterrupted run");
  assert.equal(existsSync(state), false);
});
