import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { parseShard, shardOf } from "../../src/shard/partition.js";
import { type OpenAIServer, startOpenAIServer } from "../../src/testing/openai-server.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildExamples, EXAMPLE_LOGS } from "../helpers/examples.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";
import { itemSample, jsonLines, OUTPUTS, teacherReply, writeSamples } from "../teach/helpers.js";

let server: OpenAIServer;
before(async () => {
  server = await startOpenAIServer(teacherReply);
});
after(() => server.close());

const teach = (input: string, out: string, ...more: string[]) =>
  runCli(["teach", input, "--endpoint", server.url, "--model", "teacher", "--candidates", "3", "--concurrency", "8", "-o", out, "-q", ...more]);
const bytes = (dir: string, files: readonly string[]) => files.map((file) => readFileSync(join(dir, file), "utf8"));

test("teach as 3 shards + merge is byte-identical to one run: samples, rejects, outcomes, stats (invalid lines and a duplicate included)", async () => {
  const dir = tempDir();
  const samples = Array.from({ length: 30 }, (_, i) => itemSample(i + 1));
  const input = writeSamples(dir, [...samples, samples[4]!], ["{not json", '{"id": "no-sample"}']);
  assert.equal((await teach(input, join(dir, "whole"))).code, 0);
  const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
  for (const [i, out] of shards.entries()) assert.equal((await teach(input, out, "--shard", `${i}/3`)).code, 0);
  // each shard taught only its own samples
  const perShard = shards.map((out) => jsonLines<{ sample_id?: string }>(readFileSync(join(out, "outcomes.jsonl"), "utf8")).length);
  assert.ok(perShard.every((n) => n > 0 && n < 33), `outcomes per shard: ${perShard.join(", ")}`);
  assert.equal(perShard.reduce((a, b) => a + b), 33);

  const merged = await runCli(["merge", shards[2]!, shards[0]!, shards[1]!, "-o", join(dir, "merged")]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(bytes(join(dir, "merged"), OUTPUTS), bytes(join(dir, "whole"), OUTPUTS));
});

test("a shard's records depend on their ids only: adding input moves none of the records already there", async () => {
  const dir = tempDir();
  const first = writeSamples(dir, Array.from({ length: 24 }, (_, i) => itemSample(i + 1)));
  const grown = join(dir, "grown.jsonl");
  copyFileSync(first, grown);
  // new samples before and among the old ones: positions change, shards do not
  writeFileSync(grown, [...Array.from({ length: 12 }, (_, i) => JSON.stringify(itemSample(100 + i))), readFileSync(first, "utf8").trimEnd()].join("\n") + "\n");
  const ids = (out: string) => jsonLines<{ sample_id: string }>(readFileSync(join(out, "outcomes.jsonl"), "utf8")).map((o) => o.sample_id);
  for (const i of [0, 1]) {
    assert.equal((await teach(first, join(dir, `a-${i}`), "--shard", `${i}/2`)).code, 0);
    assert.equal((await teach(grown, join(dir, `b-${i}`), "--shard", `${i}/2`)).code, 0);
    const before = ids(join(dir, `a-${i}`));
    assert.deepEqual(ids(join(dir, `b-${i}`)).filter((id) => !/sample-01/.test(id)), before, `shard ${i}/2 keeps its samples`);
  }
  // and the split is even enough: 1000 keys over 4 shards
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 1000; i++) counts[shardOf(`trajectory-${i}`, 4)]!++;
  assert.ok(counts.every((n) => n > 200 && n < 300), `keys per shard: ${counts.join(", ")}`);
});

test("merge refuses a missing shard, a shard twice, a shard of another run and an unfinished shard, each in one line naming the fix", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 12 }, (_, i) => itemSample(i + 1)));
  const shard = (i: number, n: number, name = `s${i}-${n}`, ...more: string[]) => teach(input, join(dir, name), "--shard", `${i}/${n}`, ...more);
  assert.equal((await shard(0, 2)).code, 0);
  assert.equal((await shard(1, 2)).code, 0);
  assert.equal((await shard(1, 2, "other", "--candidates", "1")).code, 0);
  const merge = (...dirs: string[]) => runCli(["merge", ...dirs.map((d) => join(dir, d)), "-o", join(dir, "merged")]);
  const cases: [string[], RegExp][] = [
    [["s0-2"], /shards 1\/2 are missing from the merge; run the missing shards/],
    [["s0-2", "s1-2", "s1-2"], /are both shard 1\/2/],
    [["s0-2", "other"], /is a shard of another run/],
    [["s0-2", "nowhere"], /holds no finished shard \(no shard.json\); rerun that shard's command/],
  ];
  for (const [dirs, message] of cases) {
    const result = await merge(...dirs);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
  assert.equal(existsSync(join(dir, "merged", "samples.jsonl")), false, "nothing merged");
  // a shard whose outputs were cut after its run
  appendFileSync(join(dir, "s1-2", "outcomes.jsonl"), "{}\n");
  const changed = await merge("s0-2", "s1-2");
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /has more lines than .*shard-order.jsonl says.*rerun that shard with --overwrite/);
  assert.throws(() => parseShard("3/3"), /--shard expects i\/N with 0 ≤ i < N/);
});

test("compile as 3 shards + merge is byte-identical to one run on the bundled examples (the distractor pool is the same in every shard)", async () => {
  const dir = tempDir();
  const { db, repo } = buildExamples();
  const compile = (out: string, ...more: string[]) => runCli(["compile", EXAMPLE_LOGS, "-o", out, "--repo", repo, "--db", db, "--workers", "1", "-q", ...more]);
  assert.equal((await compile(join(dir, "whole"))).code, 0);
  const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
  for (const [i, out] of shards.entries()) await compile(out, "--shard", `${i}/3`);
  const merged = await runCli(["merge", ...shards, "-o", join(dir, "merged")]);
  assert.equal(merged.code, 0, merged.stderr);
  const files = ["samples.jsonl", "rejects.jsonl", "stats.json"];
  assert.deepEqual(bytes(join(dir, "merged"), files), bytes(join(dir, "whole"), files));
  assert.ok(jsonLines(readFileSync(join(dir, "whole", "samples.jsonl"), "utf8")).length >= 5);
});

test("eval as 3 shards + merge: results, failures, summary and report of one run, byte for byte", async () => {
  const dir = tempDir();
  // answers by item; one item's request fails, so failures.jsonl is merged too
  const model = await startOpenAIServer((request) => {
    const text = JSON.stringify(request.body);
    return text.length % 4 === 0 ? { type: "error", status: 400, message: "bad item" } : { type: "answer", content: `answer ${text.length % 5}` };
  });
  try {
    const run = (out: string, ...more: string[]) =>
      runCli(["eval", "mrcr", "--data", "generated:sizes=4k,per-size=4,seed=3", "--endpoint", model.url, "--model", "m", "--no-cache", "-o", out, "-q", ...more]);
    const whole = await run(join(dir, "whole"));
    assert.equal(whole.code, 0, whole.stderr);
    const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shards.entries()) await run(out, "--shard", `${i}/3`);
    const merged = await runCli(["merge", ...shards, "-o", join(dir, "merged")]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.ok(existsSync(join(dir, "whole", "failures.jsonl")), "a request failed");
    const files = ["results.jsonl", "failures.jsonl", "summary.json", "report.html", "run.json"];
    assert.deepEqual(bytes(join(dir, "merged"), files), bytes(join(dir, "whole"), files));
  } finally {
    await model.close();
  }
});

test("a shard none of the input falls in exits 0 with empty outputs, and merges", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, [itemSample(1)]);
  const shards = [0, 1, 2, 3].map((i) => join(dir, `shard-${i}`));
  const codes = [];
  for (const [i, out] of shards.entries()) codes.push((await teach(input, out, "--shard", `${i}/4`)).code);
  assert.deepEqual(codes, [0, 0, 0, 0]);
  assert.equal(shards.filter((out) => readFileSync(join(out, "outcomes.jsonl"), "utf8") === "").length, 3);
  assert.equal((await teach(input, join(dir, "whole"))).code, 0);
  assert.equal((await runCli(["merge", ...shards, "-o", join(dir, "merged")])).code, 0);
  assert.deepEqual(bytes(join(dir, "merged"), OUTPUTS), bytes(join(dir, "whole"), OUTPUTS));
});

test("decontaminate as 3 shards + merge: kept samples, contamination list and report of one run, byte for byte", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 30 }, (_, i) => itemSample(i + 1)));
  // each held-out text is one sample's document and question: every 8 words of it hold that sample's numbers
  const planted = [3, 7, 11, 20, 25];
  const heldout = join(dir, "heldout.jsonl");
  writeFileSync(heldout, planted.map((i) => `${JSON.stringify({ text: `Item ${i} costs ${3 * i} EUR. </document> Question: What does item ${i} cost?` })}\n`).join(""));
  const run = (out: string, ...more: string[]) => runCli(["decontaminate", input, "--against", heldout, "--ngram", "8", "-o", out, "-q", ...more]);
  const whole = await run(join(dir, "whole"));
  assert.equal(whole.code, 0, whole.stderr);
  const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
  for (const [i, out] of shards.entries()) assert.equal((await run(out, "--shard", `${i}/3`)).code, 0);
  const dropped = shards.map((out) => jsonLines(readFileSync(join(out, "contamination.jsonl"), "utf8")).length);
  assert.equal(dropped.reduce((a, b) => a + b), planted.length);
  assert.ok(dropped.filter((n) => n > 0).length >= 2, `dropped per shard: ${dropped.join(", ")}`);
  const merged = await runCli(["merge", ...shards, "-o", join(dir, "merged")]);
  assert.equal(merged.code, 0, merged.stderr);
  const files = ["samples.jsonl", "contamination.jsonl", "report.json"];
  assert.deepEqual(bytes(join(dir, "merged"), files), bytes(join(dir, "whole"), files));
  assert.equal(JSON.parse(readFileSync(join(dir, "whole", "report.json"), "utf8")).dropped, planted.length);
});

test("import as 3 shards + merge: trajectories and rejects of one run, byte for byte; row files split by line, other logs whole", async () => {
  const dir = tempDir();
  const inputs = join(dir, "logs");
  cpSync(EXAMPLE_LOGS, inputs, { recursive: true });
  // a row file with a damaged line, a file no importer knows, and a session log read whole
  const rows = readFileSync(join(EXAMPLE_LOGS, "search-agents.jsonl"), "utf8").trim().split("\n");
  writeFileSync(join(inputs, "more-search.jsonl"), [...rows.map((row) => row.replaceAll('"id":"', '"id":"more-')), "{damaged", ...rows].join("\n") + "\n");
  writeFileSync(join(inputs, "unknown.json"), '{"what": "not a log"}\n');
  if (!SAMPLES_MISSING) cpSync(join(SAMPLES_DIR, "claude-code-jsonl"), join(inputs, "claude-code"), { recursive: true });
  const run = (out: string, ...more: string[]) => runCli(["import", inputs, "-o", join(out, "trajectories.jsonl"), "-q", ...more]);
  const whole = await run(join(dir, "whole"));
  assert.equal(whole.code, 0, whole.stderr);
  const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
  for (const [i, out] of shards.entries()) assert.equal((await run(out, "--shard", `${i}/3`)).code, 0);
  const lines = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0);
  const perShard = shards.map((out) => lines(join(out, "trajectories.jsonl")));
  assert.equal(perShard.reduce((a, b) => a + b), lines(join(dir, "whole", "trajectories.jsonl")));
  assert.ok(perShard.filter((n) => n > 0).length >= 2, `trajectories per shard: ${perShard.join(", ")}`);
  const merged = await runCli(["merge", ...shards, "-o", join(dir, "merged")]);
  assert.equal(merged.code, 0, merged.stderr);
  const files = ["trajectories.jsonl", "trajectories.jsonl.rejects.jsonl"];
  assert.ok(lines(join(dir, "whole", files[1]!)) >= 2, "the damaged line and the unknown file are rejected");
  assert.deepEqual(bytes(join(dir, "merged"), files), bytes(join(dir, "whole"), files));
  // -o must name a file in the shard's folder
  const stdout = await runCli(["import", inputs, "--shard", "0/3"]);
  assert.equal(stdout.code, 2);
  assert.match(stdout.stderr, /--shard needs -o <file>/);
});

/** Every file under dir (sessions/ included), by relative path, but acc's own .acc-output.json. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === ".acc-output.json") continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return files;
}

test("export as 3 shards + merge writes the files of one run, byte for byte, for every kind of target (RL indices and task groups, Parquet, sessions, cut token rows, samples)", async () => {
  const dir = tempDir();
  // the examples' search, SQL and SWE agents; with a real Claude Code session (compactions) for the text targets
  const trajectories = join(dir, "trajectories.jsonl");
  const withSession = join(dir, "with-session.jsonl");
  assert.equal((await runCli(["import", EXAMPLE_LOGS, "-o", trajectories, "-q"])).code, 0);
  copyFileSync(trajectories, withSession);
  if (!SAMPLES_MISSING) {
    assert.equal((await runCli(["import", join(SAMPLES_DIR, "claude-code-jsonl"), "-o", join(dir, "session.jsonl"), "-q"])).code, 0);
    appendFileSync(withSession, readFileSync(join(dir, "session.jsonl")));
  }
  // a line that is no trajectory and one that is no JSON: rejects of their shards, merged in order
  for (const file of [trajectories, withSession]) appendFileSync(file, '{"schema": "acc.trajectory", "id": "broken"}\n{damaged\n');
  const samples = join(dir, "samples.jsonl");
  const { db, repo } = buildExamples();
  assert.equal((await runCli(["compile", EXAMPLE_LOGS, "-o", join(dir, "compile"), "--repo", repo, "--db", db, "-q"])).code, 0);
  copyFileSync(join(dir, "compile", "samples.jsonl"), samples);
  appendFileSync(samples, '{"id": "not-a-sample"}\n');
  const runs: [string, string[]][] = [
    [trajectories, ["--to", "slime", "--mask-tool-args"]],
    [trajectories, ["--to", "verl"]],
    [trajectories, ["--to", "trl", "--tokenized", "--max-tokens", "2000"]],
    [withSession, ["--to", "parquet"]],
    [withSession, ["--to", "hf-traces"]],
    [samples, ["--to", "llamafactory"]],
    [samples, ["--to", "parquet"]],
  ];
  for (const [input, flags] of runs) {
    const what = flags.join(" ");
    const run = (out: string, ...more: string[]) => runCli(["export", input, ...flags, "--name", "acc-data", "-o", out, ...more]);
    const whole = await run(join(dir, "whole"), "--overwrite");
    assert.equal(whole.code, 0, `${what}: ${whole.stderr}`);
    const shards = [0, 1, 2].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const shard = await run(out, "--shard", `${i}/3`, "--overwrite");
      assert.equal(shard.code, 0, `${what} shard ${i}: ${shard.stderr}`);
    }
    const merged = await runCli(["merge", shards[1]!, shards[2]!, shards[0]!, "-o", join(dir, "merged"), "--overwrite"]);
    assert.equal(merged.code, 0, `${what}: ${merged.stderr}`);
    const expected = tree(join(dir, "whole"));
    assert.ok(Object.keys(expected).includes("rejects.jsonl"), `${what}: the broken lines are rejected`);
    assert.deepEqual(tree(join(dir, "merged")), expected, what);
  }
  // a shard reads its input in every shard: standard input cannot be split
  const stdin = await runCli(["export", "-", "--to", "trl", "--shard", "0/2", "-o", join(dir, "stdin")]);
  assert.equal(stdin.code, 2);
  assert.match(stdin.stderr, /standard input cannot be shared/);
});
