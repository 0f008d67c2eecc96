import assert from "node:assert/strict";
import { test } from "node:test";
import { leakIn, leakProbes, normaliseForLeaks } from "../../src/compile/leaks.js";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { buildSample, type SampleOptions } from "../../src/compile/sample.js";
import { promptTokenizer } from "../../src/compile/tokenizer.js";
import type { EvidencePiece } from "../../src/records/sample.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";

const PATCH = `diff --git a/pkg/separable.py b/pkg/separable.py
--- a/pkg/separable.py
+++ b/pkg/separable.py
@@ -240,5 +240,5 @@ def _cstack(left, right):
     else:
         cright = np.zeros((noutp, right.shape[1]))
-        cright[-right.shape[0]:, -right.shape[1]:] = 1
+        cright[-right.shape[0]:, -right.shape[1]:] = right
+        return None
 
     return np.hstack([cleft, cright])
`;

const BEFORE = `def _cstack(left, right):
    if isinstance(right, Model):
        cright = _coord_matrix(right, 'right', noutp)
    else:
        cright = np.zeros((noutp, right.shape[1]))
        cright[-right.shape[0]:, -right.shape[1]:] = 1

    return np.hstack([cleft, cright])`;

const AFTER = BEFORE.replace("= 1\n", "= right\n        return None\n");

function piece(id: string, text: string, role: EvidencePiece["role"], source = id): EvidencePiece {
  return { id, kind: role === "evidence" ? "file" : "command-output", source, text, role, origins: [{ trajectory_id: "t" }] };
}

test("probes: the added lines that say something, their post-fix neighbours, the patched files; long answers only", () => {
  const probes = leakProbes("short answer", PATCH);
  assert.deepEqual(probes.lines, ["cright[-right.shape[0]:, -right.shape[1]:] = right"]);
  assert.ok(probes.pairs.includes("cright = np.zeros((noutp, right.shape[1])) cright[-right.shape[0]:, -right.shape[1]:] = right"));
  assert.ok(probes.pairs.includes("cright[-right.shape[0]:, -right.shape[1]:] = right return none"));
  assert.deepEqual(probes.diffFiles, ["pkg/separable.py"]);
  assert.equal(probes.answer, undefined, "`return None` and a short answer say too little");
  const long = "The function now returns the right matrix instead of ones for nested models.";
  assert.equal(leakProbes(long, null).answer, normaliseForLeaks(long));
  // A line the file had before the fix is no probe.
  assert.deepEqual(leakProbes("", PATCH, [`${BEFORE}\n        cright[-right.shape[0]:, -right.shape[1]:] = right`]).lines, []);
});

test("leaks: a sed command, a view after the edit, a git diff and an echoed answer are found; the file before the fix is not", () => {
  const answer = "The function now returns the right matrix instead of ones for nested models.";
  const probes = leakProbes(answer, PATCH);
  const sed = String.raw`$ sed -i 's/cright\[-right.shape\[0\]:, -right.shape\[1\]:\] = 1/cright[-right.shape[0]:, -right.shape[1]:] = right/' pkg/separable.py`;
  assert.equal(leakIn(piece("a", sed, "context"), probes), "added-line");
  assert.equal(leakIn(piece("b", `$ nl -ba pkg/separable.py\n   245\t        cright[-right.shape[0]:, -right.shape[1]:] = right`, "distractor"), probes), "added-line");
  assert.equal(leakIn(piece("c", "$ git diff\ndiff --git a/pkg/separable.py b/pkg/separable.py\nindex 1..2", "context"), probes), "gold-diff");
  assert.equal(leakIn(piece("d", `final:\n${answer.toUpperCase()}`, "context"), probes), "answer");
  assert.equal(leakIn(piece("e", BEFORE, "evidence"), probes), undefined);
  assert.equal(leakIn(piece("f", AFTER, "evidence"), probes), "added-line");
  // Evidence that has the added line somewhere else (it stood in the file before the fix) is no leak; other pieces are held to single lines.
  const elsewhere = `${BEFORE}\n\ndef other():\n    cright[-right.shape[0]:, -right.shape[1]:] = right`;
  assert.equal(leakIn(piece("g", elsewhere, "evidence"), probes), undefined);
  assert.equal(leakIn(piece("h", elsewhere, "context"), probes), "added-line");
});

const qwen = promptTokenizer(await resolveTokenizer("qwen3"));

function trajectory(): Trajectory {
  return {
    schema: "acc.trajectory",
    schema_version: "1.0.0",
    id: "traj-1",
    source: { format: "test", file: "x", locator: {} },
    domain: "swe",
    domain_origin: "given",
    task: { question: "Fix _cstack for nested compound models.", question_origin: "dataset_field", system_prompt: null, ground_truth: null },
    messages: [],
    final: { answer: PATCH, reasoning: null, kind: "patch" },
    outcome: { success: true, reward: null, label_source: null, submitted_patch: PATCH, submitted_sql: null },
    events: [],
    subagents: [],
    extra: {},
  };
}

const options = (tokens: number, extra: Partial<SampleOptions> = {}): SampleOptions => ({
  seed: 1,
  lengths: { ...DEFAULT_LENGTHS, swe: { kind: "fixed", tokens } },
  question: "after",
  distractors: true,
  splitOversize: false,
  keepFailed: false,
  ...extra,
});

const filler = (i: number) => piece(`pool-${i}`, `Unrelated module ${i}.\n${"def helper():\n    return 42\n".repeat(8)}`, "distractor", `other/${i}.py`);

test("a piece holding the fix is cut after packing and the sample packed again to the same target, exactly counted", () => {
  const sed = piece("sed", "$ sed -i 's/= 1$/= right/' pkg/separable.py\ncright[-right.shape[0]:, -right.shape[1]:] = right", "context");
  const pool = Array.from({ length: 40 }, (_, i) => filler(i));
  const result = buildSample(trajectory(), { pieces: [piece("file", BEFORE, "evidence", "pkg/separable.py"), sed], pool }, qwen, options(2_000));
  assert.ok(result.ok);
  assert.deepEqual(result.guards.cut, { "added-line": 1 });
  const { sample } = result;
  assert.ok(!sample.meta.pieces.some((p) => p.id === "sed"));
  assert.equal(sample.meta.answer_leaks_cut, 1);
  assert.equal(sample.meta.target_tokens, 2_000);
  const [before, after] = qwen.userTurnFrame;
  assert.equal(qwen.count(before + sample.messages[0]!.content + after), sample.meta.prompt_tokens);
  assert.ok(sample.meta.prompt_tokens <= 2_000 && sample.meta.fill! > 0.9, `filled ${sample.meta.fill}`);
  assert.ok(!normaliseForLeaks(sample.messages[0]!.content).includes("= right"));
});

test("evidence that shows the fix drops the sample (answer-in-evidence)", () => {
  const result = buildSample(trajectory(), { pieces: [piece("file", AFTER, "evidence", "pkg/separable.py")], pool: [] }, qwen, options(2_000));
  assert.deepEqual(result.ok ? "kept" : result.reason, "answer-in-evidence");
});

test("fill: recorded per sample, under half the target is marked with why, and --min-fill drops it", () => {
  const inputs = { pieces: [piece("file", BEFORE, "evidence", "pkg/separable.py")], pool: [filler(1)] };
  const result = buildSample(trajectory(), inputs, qwen, options(8_000));
  assert.ok(result.ok);
  assert.ok(result.sample.meta.fill! < 0.5);
  assert.equal(result.sample.meta.under_filled, "out-of-candidates");
  const off = buildSample(trajectory(), inputs, qwen, options(8_000, { distractors: false }));
  assert.equal(off.ok && off.sample.meta.under_filled, "distractors-off");
  const dropped = buildSample(trajectory(), inputs, qwen, options(8_000, { minFill: 0.5 }));
  assert.deepEqual(dropped.ok ? "kept" : dropped.reason, "under-filled");
  const full = buildSample(trajectory(), { ...inputs, pool: Array.from({ length: 200 }, (_, i) => filler(i)) }, qwen, options(8_000, { minFill: 0.5 }));
  assert.ok(full.ok && full.sample.meta.under_filled === undefined && full.sample.meta.fill! >= 0.9);
});

test("pool pieces of the same task are withheld and counted", () => {
  const pool = Array.from({ length: 30 }, (_, i) => ({ ...filler(i), origins: [{ trajectory_id: i % 2 === 0 ? "sibling-run" : "other-task" }] }));
  const result = buildSample(
    trajectory(),
    { pieces: [piece("file", BEFORE, "evidence", "pkg/separable.py")], pool, sameTask: (p) => p.origins.some((o) => o.trajectory_id === "sibling-run") },
    qwen,
    options(4_000),
  );
  assert.ok(result.ok);
  assert.equal(result.guards.sameTaskWithheld, 15);
  assert.ok(result.sample.meta.pieces.every((p) => p.origins.every((o) => o.trajectory_id !== "sibling-run")));
  assert.ok(result.sample.meta.pool_distractor_count > 0);
});
