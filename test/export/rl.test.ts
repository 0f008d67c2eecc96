import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportTrajectories } from "../../src/export/trajectories.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

const qwen3 = await loadQwen3();
const FIXTURES = join(import.meta.dirname, "../fixtures/atif");
/** Terminus-2 through Harbor: every agent step records prompt_token_ids, completion_token_ids and logprobs. */
const RECORDED = join(FIXTURES, "terminus-2_hello-world-timeout.trajectory.json");
/** OpenHands through Harbor: no token ids, so acc renders and tokenizes. */
const UNRECORDED = join(FIXTURES, "openhands_hello-world.trajectory.json");

interface RawStep {
  source: string;
  message?: unknown;
  tool_calls?: unknown[];
  observation?: { results: unknown[] };
  metrics?: { prompt_token_ids?: number[]; completion_token_ids?: number[]; logprobs?: number[] };
}
const rawSteps = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { steps: RawStep[] }).steps;
const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));

async function trajectoriesFile(inputs: string[]): Promise<{ file: string; trajectories: Trajectory[] }> {
  const { trajectories } = await importAll(inputs);
  const file = join(tempDir(), "trajectories.jsonl");
  writeFileSync(file, trajectories.map((t) => JSON.stringify(t)).join("\n"));
  return { file, trajectories };
}

/** Rows of recorded ids as the raw log gives them: a step whose prompt extends the row so far continues it. */
function expectedRecordedRows(steps: RawStep[]) {
  const rows: { prompt: number[]; response: number[]; mask: number[]; logprobs: number[] }[] = [];
  for (const step of steps.filter((s) => s.source === "agent")) {
    const { prompt_token_ids: prompt, completion_token_ids: completion, logprobs } = step.metrics!;
    const last = rows.at(-1);
    const sequence = last ? [...last.prompt, ...last.response] : [];
    if (last && prompt!.length >= sequence.length && sequence.every((id, k) => prompt![k] === id)) {
      const added = prompt!.slice(sequence.length);
      last.response.push(...added, ...completion!);
      last.mask.push(...added.map(() => 0), ...completion!.map(() => 1));
      last.logprobs.push(...added.map(() => 0), ...logprobs!);
    } else {
      rows.push({ prompt: [...prompt!], response: [...completion!], mask: completion!.map(() => 1), logprobs: [...logprobs!] });
    }
  }
  return rows;
}

test("rl: verl rows keep the ids, mask and logprobs the log recorded, counted from the raw ATIF file", async () => {
  const steps = rawSteps(RECORDED);
  const expected = expectedRecordedRows(steps);
  const { file } = await trajectoriesFile([RECORDED]);
  const out = tempDir();
  const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "verl", tokenizer: qwen3 });
  assert.deepEqual(stats.tokenSources, { recorded: expected.length, tokenizer: 0 });
  const rows = lines(join(out, "rollouts.jsonl"));
  assert.equal(rows.length, expected.length);
  rows.forEach((row, i) => {
    assert.deepEqual(row.prompt_ids, expected[i]!.prompt);
    assert.deepEqual(row.response_ids, expected[i]!.response);
    assert.deepEqual(row.response_mask, expected[i]!.mask);
    assert.deepEqual(row.response_logprobs, JSON.parse(JSON.stringify(expected[i]!.logprobs)), "logprobs (JSON writes -0.0 as 0)");
    assert.equal(row.extra_fields.token_source, "recorded");
    assert.deepEqual(row.metrics, {});
  });
});

test("rl: --tokenized rows use the recorded ids even where re-tokenising would give others; partial records fall back, said so", async () => {
  // An agent step whose recorded completion is a non-canonical tokenisation of its text (one id per
  // character, as a sampler may produce): decoding gives the text, re-encoding it gives other ids.
  const answer = "The answer is 42.";
  const completion = [...answer].flatMap((ch) => qwen3.encode(ch));
  assert.equal(qwen3.decode(completion), answer);
  assert.notDeepEqual(qwen3.encode(answer), completion);
  const prompt = qwen3.encode("<|im_start|>user\nWhat is six times seven?<|im_end|>\n<|im_start|>assistant\n");
  const doc = (id: string, metrics: object | undefined) => ({
    schema_version: "ATIF-v1.6",
    session_id: id,
    agent: { name: "sampler", version: "1" },
    steps: [
      { step_id: 1, source: "user", message: "What is six times seven?" },
      { step_id: 2, source: "agent", message: answer, ...(metrics ? { metrics } : {}) },
    ],
  });
  const dir = tempDir();
  writeFileSync(join(dir, "recorded.json"), JSON.stringify(doc("recorded", { prompt_token_ids: prompt, completion_token_ids: completion })));
  writeFileSync(join(dir, "bare.json"), JSON.stringify(doc("bare", undefined)));
  const { file } = await trajectoriesFile([join(dir, "recorded.json"), join(dir, "bare.json")]);
  const out = tempDir();
  const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "trl", tokenizer: qwen3 });
  assert.deepEqual(stats.tokenSources, { recorded: 1, tokenizer: 1 });
  const [recorded, bare] = lines(join(out, "train.jsonl"));
  assert.equal(recorded.token_source, "recorded");
  assert.deepEqual(recorded.input_ids, [...prompt, ...completion]);
  assert.deepEqual(recorded.labels, [...prompt.map(() => -100), ...completion]);
  assert.equal(bare.token_source, "tokenizer");
  assert.ok(qwen3.decode(bare.input_ids).includes(answer));
});

test("rl: a trajectory with ids on only some assistant turns is re-tokenised whole and counted", async () => {
  const steps = rawSteps(RECORDED);
  const agent = steps.findIndex((s) => s.source === "agent");
  const partial = { ...JSON.parse(readFileSync(RECORDED, "utf8")), steps: steps.map((s, i) => (i === agent ? { ...s, metrics: undefined } : s)) };
  const path = join(tempDir(), "partial.json");
  writeFileSync(path, JSON.stringify(partial));
  const { file } = await trajectoriesFile([path]);
  const stats = await exportTrajectories({ inputs: [file], outDir: tempDir(), target: "verl", tokenizer: qwen3 });
  assert.equal(stats.partialRecorded, 1);
  assert.equal(stats.tokenSources.recorded, 0);
  assert.ok(stats.tokenSources.tokenizer > 0);
});

test("rl: verl's num_turns and slime's Sample fields from a tokenized trajectory, counted from the raw file", async () => {
  const steps = rawSteps(UNRECORDED);
  const { file } = await trajectoriesFile([UNRECORDED]);
  const verlOut = tempDir();
  await exportTrajectories({ inputs: [file], outDir: verlOut, target: "verl", tokenizer: qwen3 });
  const [row, ...more] = lines(join(verlOut, "rollouts.jsonl"));
  assert.equal(more.length, 0);
  // verl's tool agent loop: 1 + assistant turns + one turn per batch of tool results.
  const agentSteps = steps.filter((s) => s.source === "agent");
  const toolBatches = agentSteps.filter((s) => (s.observation?.results.length ?? 0) > 0).length;
  assert.equal(row.num_turns, 1 + agentSteps.length + toolBatches);
  assert.equal(row.extra_fields.token_source, "tokenizer");
  assert.equal(row.response_ids.length, row.response_mask.length);
  assert.equal(row.response_mask[0], 1, "the response starts at the first trained turn");
  assert.ok(qwen3.decode(row.prompt_ids).endsWith("<|im_start|>assistant\n"));
  const trainedText = qwen3.decode(row.response_ids.filter((_: number, k: number) => row.response_mask[k] === 1));
  for (const s of agentSteps) if (typeof s.message === "string" && s.message.trim() !== "") assert.ok(trainedText.includes(s.message.trim()));

  const slimeOut = tempDir();
  await exportTrajectories({ inputs: [file], outDir: slimeOut, target: "slime", tokenizer: qwen3 });
  const [sample] = lines(join(slimeOut, "samples.jsonl"));
  assert.deepEqual(sample.tokens, [...row.prompt_ids, ...row.response_ids]);
  assert.equal(sample.response_length, row.response_ids.length);
  assert.deepEqual(sample.loss_mask, row.response_mask);
  assert.equal(sample.response, qwen3.decode(row.response_ids));
  assert.equal(sample.status, "completed");
  const [prompt] = lines(join(slimeOut, "prompts.jsonl"));
  assert.deepEqual(
    prompt.prompt.map((m: { role: string }) => m.role),
    sample.prompt.map((m: { role: string }) => m.role),
  );
});

// pyarrow only: `datasets.load_dataset("parquet")`, which RLHFDataset calls, reads through it (and costs seconds more to import).
test("rl: pyarrow reads verl's prompt file as RLHFDataset does; every row keeps verl's and slime's invariants", { skip: pythonMissing("pyarrow") }, async () => {
  const python = pythonWith("pyarrow")!;
  const inputs = [RECORDED, UNRECORDED];
  const { file } = await trajectoriesFile(inputs);
  const verl = tempDir();
  const slime = tempDir();
  await exportTrajectories({ inputs: [file], outDir: verl, target: "verl", tokenizer: qwen3 });
  await exportTrajectories({ inputs: [file], outDir: slime, target: "slime", tokenizer: qwen3 });
  // Each raw file is one task: its first non-agent steps are the prompt.
  const firstUser = inputs.map((f) => rawSteps(f).find((s) => s.source === "user")!.message);
  const script = `
import json, sys
import pyarrow.parquet as pq
verl, slime, first_user = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ds = pq.read_table(verl + "/prompts.parquet").to_pylist()
assert len(ds) == len(first_user), (len(ds), len(first_user))
for i, row in enumerate(ds):
    # RLHFDataset: row[prompt_key] is a list of {role, content}; extra_info.index an int; reward_model a dict.
    assert isinstance(row["prompt"], list) and all(set(m) == {"role", "content"} for m in row["prompt"])
    users = [m["content"] for m in row["prompt"] if m["role"] == "user"]
    assert users[0] == first_user[i], (users[0][:80], first_user[i][:80])
    assert row["extra_info"]["index"] == i and isinstance(row["extra_info"]["index"], int)
    assert row["reward_model"]["style"] == "rule" and row["agent_name"] == "tool_agent"
    json.loads(row["extra_info"]["tools"])
assert pq.read_table(verl + "/prompts.parquet").schema.field("extra_info").type.field("index").type == "int64"
for line in open(verl + "/rollouts.jsonl"):
    r = json.loads(line)
    assert len(r["response_ids"]) == len(r["response_mask"])
    assert r["response_logprobs"] is None or len(r["response_logprobs"]) == len(r["response_ids"])
    assert set(r["response_mask"]) <= {0, 1} and 1 in r["response_mask"] and r["num_turns"] >= 2
for line in open(slime + "/samples.jsonl"):
    s = json.loads(line)
    assert len(s["loss_mask"]) == s["response_length"] <= len(s["tokens"])
    assert s["rollout_log_probs"] is None or len(s["rollout_log_probs"]) == s["response_length"]
    assert s["status"] in ("completed", "truncated")
print("ok")
`;
  const result = spawnSync(python, ["-c", script, verl, slime, JSON.stringify(firstUser)], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), "ok");
});
