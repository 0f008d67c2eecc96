import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { compileRun, type CompileRunOptions } from "../../src/compile/run.js";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { inputBytesRead } from "../../src/io/lines.js";
import { Sample } from "../../src/records/sample.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";
import { builtCli } from "../helpers/built-cli.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { EXAMPLE_LOGS, buildExamples } from "../helpers/examples.js";

const REPO_ROOT = resolve(join(import.meta.dirname, "../.."));

/** Search-agent rows: one opened page (evidence) and three unopened results (distractors) each. */
function searchRows(n: number): string {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const page = Array.from({ length: 30 }, (_, j) => `Paragraph ${j} about topic ${i}: the measured value is ${i * 7 + j}.`).join("\n");
    const results = JSON.stringify({ organic: [0, 1, 2, 3].map((k) => ({ title: `Result ${i}.${k}`, link: `https://site${k}.example/${i}`, snippet: `Snippet ${k} for topic ${i}. ${"More words. ".repeat(10)}` })) });
    const call = (id: string, name: string, args: unknown) => ({ id, type: "function", function: { name, arguments: JSON.stringify(args) } });
    rows.push(JSON.stringify({
      messages: [
        { role: "user", content: `What is the measured value for topic ${i}?` },
        { role: "assistant", content: null, tool_calls: [call("a", "web_search", { query: `topic ${i}` })] },
        { role: "tool", tool_call_id: "a", content: results },
        { role: "assistant", content: null, tool_calls: [call("b", "open_url", { url: `https://site0.example/${i}` })] },
        { role: "tool", tool_call_id: "b", content: page },
        { role: "assistant", content: `The value is ${i * 7}.`, reasoning_content: "Read it on the page." },
      ],
    }));
  }
  return `${rows.join("\n")}\n{broken line\n`;
}

function options(input: string, outDir: string, overrides: Partial<CompileRunOptions> = {}): CompileRunOptions {
  return {
    inputs: [input],
    outDir,
    import: {},
    setup: {
      tokenizer: "qwen3",
      sample: { seed: 5, lengths: { ...DEFAULT_LENGTHS, search: { kind: "uniform", min: 1500, max: 4000 } }, question: "after", distractors: true, splitOversize: false, keepFailed: false },
      sources: { maxTableChars: 1_000_000, maxDirectoryDistractors: 20 },
    },
    workers: 1,
    poolMaxPieces: 256,
    poolMaxChars: 1_000_000,
    poolMaxPieceChars: 100_000,
    ...overrides,
  };
}

const outputs = (dir: string) => ["samples.jsonl", "rejects.jsonl", "stats.json"].map((f) => readFileSync(join(dir, f), "utf8"));

test("compile: every sample fits its budget exactly by the real tokenizer, counts add up, and the same seed gives the same bytes with 1 or 2 workers", async () => {
  const input = join(tempDir(), "search.jsonl");
  writeFileSync(input, searchRows(40));
  const one = tempDir();
  const readBefore = inputBytesRead();
  const stats = await compileRun(options(input, one));
  // the distractor pass and the samples come from one import, which reads the file once: detection reads its
  // start (here the whole small file) and the import goes on from there (an import for each pass read it 4 times,
  // then one import read it twice)
  const inputBytes = statSync(input).size;
  assert.equal(inputBytesRead() - readBefore, inputBytes);
  assert.equal(stats.data.read, 41);
  assert.equal(stats.data.samples, 40);
  assert.equal(stats.data.import_rejected, 1);
  const qwen = await resolveTokenizer("qwen3");
  const [samplesText, rejectsText] = outputs(one);
  for (const line of samplesText!.trim().split("\n")) {
    const sample = Sample.parse(JSON.parse(line));
    const prompt = qwen.applyChatTemplate([{ role: "user", content: sample.messages[0]!.content }], { addGenerationPrompt: true });
    assert.equal(qwen.count(prompt), sample.meta.prompt_tokens);
    assert.ok(sample.meta.prompt_tokens <= sample.meta.target_tokens);
    assert.ok(sample.meta.target_tokens >= 1500 && sample.meta.target_tokens <= 4000);
    assert.equal(sample.meta.evidence_count, 1);
    assert.ok(sample.meta.distractor_count > 0);
  }
  assert.match(rejectsText!, /"stage":"import".*"line":41/);
  // 41 records: enough for two worker threads (one per 16 trajectories at most)
  const two = tempDir();
  await compileRun(options(input, two, { workers: 2 }));
  assert.deepEqual(outputs(two), outputs(one));
  // stopped after a checkpoint, then resumed: the rest is compiled, nothing is imported again, the bytes are the same
  const resumed = tempDir();
  const stop = new Error("stopped");
  await assert.rejects(compileRun(options(input, resumed, { onProgress: (done) => { if (done >= 16) throw stop; } })), stop);
  const doneAtStop = JSON.parse(readFileSync(join(resumed, ".compile-state.json"), "utf8")).done;
  assert.ok(doneAtStop >= 16 && doneAtStop < 41);
  const compiled: number[] = [];
  const readAtResume = inputBytesRead();
  await compileRun(options(input, resumed, { onProgress: (done) => compiled.push(done) }));
  assert.equal(inputBytesRead() - readAtResume, 0, "a resumed compile reads none of its input again");
  assert.equal(compiled[0]! - doneAtStop, 8, "its first checkpoint is one batch after the stop");
  assert.deepEqual(outputs(resumed), outputs(one));
  assert.deepEqual(readdirSync(resumed).sort(), ["rejects.jsonl", "samples.jsonl", "stats.json"], "the imported records and the checkpoint are gone");
  const otherSeed = tempDir();
  await compileRun(options(input, otherSeed, { setup: { ...options(input, otherSeed).setup, sample: { ...options(input, otherSeed).setup.sample, seed: 6 } } }));
  assert.notEqual(outputs(otherSeed)[0], outputs(one)[0]);
});

test("compile: stopped during the import pass, a rerun opens only the inputs not imported yet, with the distractor pool as it was, and ends byte-identical", async () => {
  // 7 one-row files, one file of 12 rows, 10 one-row files: the pass takes a one-row file or 8 rows of a file at a
  // time, and saves where it is every 8 takes, so its first checkpoint falls after the 12-row file's first 8 rows
  const rows = searchRows(29).trim().split("\n").slice(0, 29);
  const logs = tempDir();
  const files = [...rows.slice(0, 7).map((row) => [row]), rows.slice(7, 19), ...rows.slice(19).map((row) => [row])].map((group, i) => {
    const path = join(logs, `${String(i).padStart(2, "0")}.jsonl`);
    writeFileSync(path, `${group.join("\n")}\n`);
    return path;
  });
  // a pool small enough that pieces are let go and replaced: its seeded draws must go on where they stopped
  const small = { poolMaxPieces: 4, poolMaxChars: 3_000 };
  const clean = tempDir();
  await compileRun(options(logs, clean, small));
  const stopped = tempDir();
  const stop = new Error("stopped");
  let takes = 0;
  await assert.rejects(compileRun(options(logs, stopped, { ...small, onProgress: (done, total) => { if (total === undefined && ++takes === 9) throw stop; } })), stop);
  const place = JSON.parse(readFileSync(join(stopped, ".compile-import-state.json"), "utf8")).stats;
  assert.deepEqual([place.unit, place.within], [7, 8], "the checkpoint is 8 rows into the 12-row file");
  const readAtResume = inputBytesRead();
  await compileRun(options(logs, stopped, small));
  const rest = files.slice(7).reduce((n, file) => n + statSync(file).size, 0);
  assert.equal(inputBytesRead() - readAtResume, rest, "the rerun reads the unfinished file and those after it, no other");
  assert.deepEqual(outputs(stopped), outputs(clean));
  assert.deepEqual(readdirSync(stopped).sort(), ["rejects.jsonl", "samples.jsonl", "stats.json"]);
  assert.ok(JSON.parse(readFileSync(join(clean, "samples.jsonl"), "utf8").split("\n")[0]!).meta.distractor_count > 0);
});

test("compile: stopped inside a large row file, a rerun reads the file on from the last chunk taken, not from its start, and ends byte-identical", async () => {
  // 240 rows of ~45 KB (trailing spaces, which JSON allows), two of them over the line limit: rejected the same way either run
  const rows = searchRows(240).trim().split("\n").slice(0, 240).map((row, i) => row + " ".repeat(i === 10 || i === 220 ? 100_000 : 42_000));
  const input = join(tempDir(), "big.jsonl");
  writeFileSync(input, `${rows.join("\n")}\n`);
  const size = statSync(input).size;
  const limits = { import: { maxLineBytes: 64 * 1024 } };
  const clean = tempDir();
  await compileRun(options(input, clean, limits));
  assert.equal(readFileSync(join(clean, "rejects.jsonl"), "utf8").match(/line-too-long/g)?.length, 2);
  // the pass takes 8 rows at a time and saves where it is every 8 takes: stopped at the 25th take, it saved after 192 rows
  const stopped = tempDir();
  const stop = new Error("stopped");
  let takes = 0;
  await assert.rejects(compileRun(options(input, stopped, { ...limits, onProgress: (_done, total) => { if (total === undefined && ++takes === 25) throw stop; } })), stop);
  const readAtResume = inputBytesRead();
  await compileRun(options(input, stopped, limits));
  // detection reads the file's first 4 MiB again, then the pass reads on from the chunk (of 1 MiB) it stopped in:
  // about 4 + 3 of the file's 10.8 MB, where a rerun that re-read the file from its start read all of it
  const read = inputBytesRead() - readAtResume;
  assert.ok(read < size - 2 ** 20, `the rerun read ${read} of the file's ${size} bytes`);
  assert.deepEqual(outputs(stopped), outputs(clean));
  assert.deepEqual(readdirSync(stopped).sort(), ["rejects.jsonl", "samples.jsonl", "stats.json"]);
});

test("compile: a resumed import pass refuses a pool or tasks log line it did not write, naming file:line and the fix; the fix works", async () => {
  const rows = searchRows(29).trim().split("\n").slice(0, 29);
  const logs = tempDir();
  [...rows.slice(0, 7).map((row) => [row]), rows.slice(7, 19), ...rows.slice(19).map((row) => [row])].forEach((group, i) => writeFileSync(join(logs, `${String(i).padStart(2, "0")}.jsonl`), `${group.join("\n")}\n`));
  const small = { poolMaxPieces: 4, poolMaxChars: 3_000 };
  const clean = tempDir();
  await compileRun(options(logs, clean, small));
  const stop = new Error("stopped");
  const stopped = async () => {
    const dir = tempDir();
    let takes = 0;
    await assert.rejects(compileRun(options(logs, dir, { ...small, onProgress: (_done, total) => { if (total === undefined && ++takes === 9) throw stop; } })), stop);
    return dir;
  };
  /** Replaces a log's first line and resumes: the run must stop on that line, with the fix. */
  const corrupt = async (log: string, line: string, what: string, reason: RegExp) => {
    const dir = await stopped();
    const path = join(dir, `${log}.partial`);
    const lines = readFileSync(path, "utf8").split("\n");
    assert.ok(lines.length > 2, `${log} has lines at the checkpoint`);
    writeFileSync(path, [line, ...lines.slice(1)].join("\n"));
    await assert.rejects(compileRun(options(logs, dir, small)), (error: Error & { code?: string; fix?: string }) => {
      assert.equal(error.code, "wrong-shape");
      assert.ok(error.message.startsWith(`${path}:1: not ${what}: `), error.message);
      assert.match(error.message, reason);
      assert.equal(error.fix, `the file was changed after the run stopped: delete ${join(dir, ".compile-import-state.json")} and run again (the import pass starts over)`);
      return true;
    });
    return dir;
  };
  // a piece whose text is not text was taken as it was; a line that is not JSON threw a SyntaxError
  await corrupt(".compile-pool.jsonl", '{"id":"x","text":1}', "a line of the distractor pool's log", /expected/);
  await corrupt(".compile-pool.jsonl", "{broken", "a line of the distractor pool's log", /invalid JSON/);
  // a line that is not an [id, identity] pair threw a TypeError
  const dir = await corrupt(".compile-tasks.jsonl", '{"id":"t"}', "a line of the distractor pool's tasks log", /expected/);
  // a line whose piece the checkpoint holds, made an id line: the pool held a hole and the run failed later on it
  const held = await stopped();
  const slots = JSON.parse(readFileSync(join(held, ".compile-import-state.json"), "utf8")).stats.pool.slots as Record<string, number[]>;
  const line = Object.values(slots).flat()[0]!;
  const path = join(held, ".compile-pool.jsonl.partial");
  const lines = readFileSync(path, "utf8").split("\n");
  // the same length (JSON allows trailing spaces): the rerun cuts the log back to its checkpoint's size
  lines[line] = JSON.stringify(JSON.parse(lines[line]!).id).padEnd(lines[line]!.length);
  writeFileSync(path, lines.join("\n"));
  await assert.rejects(compileRun(options(logs, held, small)), (error: Error & { code?: string; fix?: string }) => {
    assert.equal(error.code, "wrong-shape");
    assert.equal(error.message, `${path}:${line + 1}: not a line of the distractor pool's log: the checkpoint holds this line's piece, and the line is an id`);
    assert.equal(error.fix, `the file was changed after the run stopped: delete ${join(held, ".compile-import-state.json")} and run again (the import pass starts over)`);
    return true;
  });
  rmSync(join(dir, ".compile-import-state.json"));
  await compileRun(options(logs, dir, small));
  assert.deepEqual(outputs(dir), outputs(clean), "after the fix, the rerun ends as an uninterrupted run");
});

test("compile: kill -9 in the middle, rerun the same command: it resumes and ends byte-identical to an uninterrupted run", async () => {
  const input = join(tempDir(), "search.jsonl");
  writeFileSync(input, searchRows(160));
  const { main } = await builtCli();
  const args = (out: string) => [main, "compile", input, "-o", out, "--seed", "3", "--length", "search=uniform:1500-4000", "--workers", "1", "-q"];
  const clean = tempDir();
  await run(args(clean));
  const crashed = tempDir();
  const child = spawn(process.execPath, args(crashed), { cwd: REPO_ROOT, stdio: "ignore" });
  const state = join(crashed, ".compile-state.json");
  await waitFor(() => existsSync(state) && JSON.parse(readFileSync(state, "utf8")).done >= 40);
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  const doneAtKill = JSON.parse(readFileSync(state, "utf8")).done;
  assert.ok(doneAtKill < 161, "killed before the end");
  await run(args(crashed));
  assert.deepEqual(outputs(crashed), outputs(clean));
  assert.equal(existsSync(state), false);
});

test("compile: dropped trajectories are listed with their reason; examples compile with repo and database", async () => {
  const { db, repo } = buildExamples();
  const out = tempDir();
  const failed = join(tempDir(), "failed.jsonl");
  writeFileSync(failed, `${JSON.stringify({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "no tools used" }] })}\n`);
  const result = await runCli(["compile", EXAMPLE_LOGS, failed, "-o", out, "--repo", repo, "--db", db, "--workers", "1", "-q"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /read 8 = samples 7 \+ dropped 1 \+ import rejects 0/);
  assert.match(result.stderr, /generic\s+0\s+no-evidence:1/);
  const drop = JSON.parse(readFileSync(join(out, "rejects.jsonl"), "utf8").trim());
  assert.equal(drop.reason, "no-evidence");
  assert.equal(drop.file, failed);
  const usage = async (extra: string[], message: RegExp) => {
    const bad = await runCli(["compile", EXAMPLE_LOGS, "-o", out, ...extra]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, message);
  };
  await usage(["--length", "search=uniform:9-3"], /min is larger than max/);
  await usage(["--tokenizer", "gpt9"], /--tokenizer: "gpt9" is not one of qwen3, o200k_base, cl100k_base nor a folder/);
  await usage(["--db", "/nonexistent.sqlite"], /--db: \/nonexistent\.sqlite does not exist/);
  await usage(["--question", "middle"], /--question expects one of before, after, both/);
});

test("compile: a tokenizer folder that does not load exits 2 and leaves nothing behind (no marker, no empty .partial)", async () => {
  const badTokenizer = tempDir();
  writeFileSync(join(badTokenizer, "tokenizer.json"), "{ not json");
  const parent = tempDir();
  const fresh = join(parent, "out");
  const result = await runCli(["compile", EXAMPLE_LOGS, "-o", fresh, "--tokenizer", badTokenizer, "--workers", "1", "-q"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^acc: .*tokenizer/);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.deepEqual(readdirSync(parent), [], "the output folder the run made is gone");
  const existing = tempDir();
  assert.equal((await runCli(["compile", EXAMPLE_LOGS, "-o", existing, "--tokenizer", badTokenizer, "--workers", "1", "-q"])).code, 2);
  assert.deepEqual(readdirSync(existing), [], "an empty folder given stays empty");
});

function run(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`exit ${code}: ${stderr}`))));
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
