import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { compileRun, type CompileRunOptions } from "../../src/compile/run.js";
import { Sample } from "../../src/records/sample.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FIXTURES = join(import.meta.dirname, "fixtures/swe-runs");
const RUNS = ["astropy__astropy-12907", "django__django-11095", "django__django-14349", "pylint-dev__pylint-4551"].map((id) => join(FIXTURES, `${id}.traj.json.gz`));
const SHARED = ["mini-swe-agent/astropy__astropy-12907.traj.json", "swe-agent-traj/marshmallow-1867__function_calling_replace_from_source.traj"];
/** Three OpenHands V0 CodeActAgent runs on Multi-SWE-bench (ponyc, C), eval rows: views of the edited files after the edit. */
const OPENHANDS = join(FIXTURES, "openhands-v0-ponyc.jsonl.gz");

/**
 * The patch each raw log submitted (`info.submission` in mini-swe-agent and SWE-agent files, `test_result.git_patch`
 * in OpenHands eval rows), read here, not by acc.
 */
function submissions(): string[] {
  const raw = [...RUNS.map((file) => gunzipSync(readFileSync(file)).toString("utf8")), ...SHARED.map((file) => readFileSync(sample(file), "utf8"))];
  const rows = gunzipSync(readFileSync(OPENHANDS)).toString("utf8").trim().split("\n");
  return [
    ...raw.map((text) => (JSON.parse(text) as { info: { submission: string } }).info.submission),
    ...rows.map((row) => (JSON.parse(row) as { test_result: { git_patch: string } }).test_result.git_patch),
  ];
}

const normalise = (text: string) => text.toLowerCase().replaceAll("\\", "").replace(/\s+/g, " ").trim();

/** Added lines that say something, the post-fix neighbours of each, and the patched files: this test's own reading. */
function answerOf(patch: string) {
  const lines = patch.replaceAll("\r\n", "\n").split("\n");
  const before = new Set<string>();
  const added: string[] = [];
  const pairs: string[] = [];
  let after: { text: string; added: boolean }[] = [];
  const closeHunk = () => {
    after.forEach((line, i) => {
      if (!line.added || !specific(line.text) || before.has(line.text)) return;
      if (after[i - 1]) pairs.push(`${after[i - 1]!.text} ${line.text}`);
      if (after[i + 1]) pairs.push(`${line.text} ${after[i + 1]!.text}`);
    });
    after = [];
  };
  for (const line of lines) {
    if (line.startsWith("@@") || line.startsWith("diff ")) closeHunk();
    if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("@@") || line.startsWith("diff ") || line.startsWith("index ")) continue;
    const text = normalise(line.slice(1));
    if (line.startsWith("+")) {
      added.push(text);
      if (text !== "") after.push({ text, added: true });
    } else if (line.startsWith("-") || line.startsWith(" ")) {
      before.add(text);
      if (line.startsWith(" ") && text !== "") after.push({ text, added: false });
    }
  }
  closeHunk();
  const files = [...new Set([...patch.matchAll(/^(?:diff --git a\/\S+ b\/|\+\+\+ b\/)(\S+?)\r?$/gm)].map((m) => m[1]!))];
  return { lines: added.filter((text) => specific(text) && !before.has(text)), pairs, files };
}

function specific(text: string): boolean {
  return text.length >= 16 && (text.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0) >= 2;
}

interface Document {
  index: number;
  source: string;
  text: string;
}

function documents(content: string): Document[] {
  return [...content.matchAll(/<document index="(\d+)" source="((?:[^"\\]|\\.)*)">\n([\s\S]*?)\n<\/document>\n/g)].map((m) => ({ index: Number(m[1]), source: m[2]!, text: m[3]! }));
}

/** Compiles `inputs` on one worker with fixed lengths and a pool that holds every piece; returns the output folder. */
async function compile(inputs: string[], lengths: Partial<CompileRunOptions["setup"]["sample"]["lengths"]>, seed: number, splitOversize: boolean): Promise<string> {
  const out = tempDir();
  await compileRun({
    inputs,
    outDir: out,
    import: {},
    setup: {
      tokenizer: "qwen3",
      sample: { seed, lengths: { ...DEFAULT_LENGTHS, ...lengths }, question: "after", distractors: true, splitOversize, keepFailed: true },
      sources: { maxTableChars: 1_000_000, maxDirectoryDistractors: 20 },
    },
    workers: 1,
    poolMaxPieces: 4096,
    poolMaxChars: 16_000_000,
    poolMaxPieceChars: 600_000,
  });
  return out;
}

let samples: Sample[];
let stats: { domains: Record<string, { dropped: Record<string, number>; answer_leaks_cut: Record<string, number>; same_task_withheld: number }> };
let patches: string[];

before(async () => {
  if (SAMPLES_MISSING) return;
  const out = await compile([...RUNS, ...SHARED.map(sample), OPENHANDS], { swe: { kind: "fixed", tokens: 32_768 } }, 3, true);
  samples = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((line) => Sample.parse(JSON.parse(line)));
  stats = JSON.parse(readFileSync(join(out, "stats.json"), "utf8"));
  patches = submissions();
});

test("real SWE runs of three agents: no prompt holds an added line of its gold patch, a post-fix neighbour pair in its evidence, or a diff of a patched file", { skip: SAMPLES_MISSING }, () => {
  // One OpenHands run (ponyc-4595) read the file it fixed only after the edit: its evidence shows the fix, so it is dropped.
  assert.deepEqual(stats.domains.swe?.dropped, { "answer-in-evidence": 1 });
  assert.equal(samples.length, 8);
  // Trajectory ids start with their format.
  const agents = new Set(samples.map((s) => /^(mini-swe-agent|swe-agent|openhands-v0)-/.exec(s.meta.trajectory_id)?.[1]));
  assert.deepEqual([...agents].sort(), ["mini-swe-agent", "openhands-v0", "swe-agent"]);
  for (const compiled of samples) {
    const gold = answerOf(patches.find((patch) => normalise(patch) === normalise(compiled.meta.task.gold_patch ?? ""))!);
    assert.ok(gold.lines.length > 0 && gold.files.length > 0, `${compiled.meta.task.instance_id}: the gold patch has lines to look for`);
    for (const doc of documents(compiled.messages[0]!.content)) {
      const text = normalise(doc.text);
      const where = `${compiled.meta.task.instance_id}, document ${doc.index} (${doc.source.slice(0, 60)})`;
      if (compiled.meta.pieces[doc.index - 1]!.role === "evidence") {
        const pair = gold.pairs.find((p) => text.includes(p));
        assert.equal(pair, undefined, `${where} shows the patched file after the fix`);
      } else {
        const line = gold.lines.find((l) => text.includes(l));
        assert.equal(line, undefined, `${where} holds an added line of the gold patch`);
      }
      for (const file of gold.files) assert.ok(!new RegExp(`^\\+\\+\\+ b/${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m").test(doc.text), `${where} holds a diff of ${file}`);
    }
  }
  // The cuts happened: these runs print the fix in their context (scripts, greps after the edit).
  assert.ok(Object.values(stats.domains.swe!.answer_leaks_cut).reduce((a, b) => a + b, 0) > 0);
});

test("real SWE runs: files read through the shell (`cd /testbed && cat f`, `sed -n`, `nl -ba | sed -n`) are the evidence, as they were before the fix", { skip: SAMPLES_MISSING }, () => {
  const astropy = samples.filter((s) => s.meta.task.instance_id === "astropy__astropy-12907");
  assert.equal(astropy.length, 2);
  for (const compiled of astropy) {
    const evidence = documents(compiled.messages[0]!.content).filter((doc) => compiled.meta.pieces[doc.index - 1]!.role === "evidence");
    assert.deepEqual(evidence.map((doc) => doc.source), ["astropy/modeling/separable.py"]);
    assert.match(evidence[0]!.text, /cright\[-right\.shape\[0\]:, -right\.shape\[1\]:\] = 1\n/);
    assert.doesNotMatch(evidence[0]!.text, /= right\n/);
  }
});

test("real SWE runs: a sample never gets distractors from another run of its own task", { skip: SAMPLES_MISSING }, () => {
  const instanceOf = new Map(samples.map((s) => [s.meta.trajectory_id, s.meta.task.instance_id]));
  for (const compiled of samples) {
    for (const piece of compiled.meta.pieces) {
      for (const origin of piece.origins) {
        if (origin.trajectory_id === compiled.meta.trajectory_id) continue;
        assert.notEqual(instanceOf.get(origin.trajectory_id), compiled.meta.task.instance_id, `${compiled.meta.task.instance_id}: a distractor from another run of the task`);
      }
    }
  }
  assert.ok(stats.domains.swe!.same_task_withheld > 0, "the two astropy runs had pieces to withhold");
});

test("tau-bench (each task run 4 times): no sample holds a distractor from another run of its task, and the runs' pieces were there to take", { skip: SAMPLES_MISSING }, async () => {
  const file = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  // Each record's task, read here from the raw file: the importer gives trajectories in record order.
  const taskOfRecord = (JSON.parse(readFileSync(file, "utf8")) as { task_id: number }[]).map((record) => record.task_id);
  const out = await compile([file], { generic: { kind: "fixed", tokens: 16_384 } }, 1, false);
  const compiled = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((line) => Sample.parse(JSON.parse(line)));
  // Each trajectory's record (its JSON pointer in the file), then that record's task from the raw file.
  const { trajectories } = await importAll([file]);
  const taskOf = new Map(trajectories.map((t) => [t.id, taskOfRecord[Number(t.source.locator.json_pointer!.slice(1))]]));
  assert.equal(taskOf.size, taskOfRecord.length);
  let fromOtherTasks = 0;
  for (const s of compiled) {
    for (const piece of s.meta.pieces) {
      for (const { trajectory_id } of piece.origins) {
        if (trajectory_id === s.meta.trajectory_id) continue;
        assert.notEqual(taskOf.get(trajectory_id), taskOf.get(s.meta.trajectory_id), `${s.meta.trajectory_id}: a distractor from another run of task ${taskOf.get(s.meta.trajectory_id)}`);
        fromOtherTasks++;
      }
    }
  }
  assert.ok(fromOtherTasks > 100, "distractors from other tasks were placed");
  const generic = (JSON.parse(readFileSync(join(out, "stats.json"), "utf8")) as typeof stats).domains.generic!;
  assert.ok(generic.same_task_withheld > 0);
});
