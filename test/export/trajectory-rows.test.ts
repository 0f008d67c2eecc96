import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/atif");

async function trajectoriesFile(inputs: string[], take = Infinity): Promise<{ file: string; trajectories: Trajectory[] }> {
  const { trajectories } = await importAll(inputs);
  const file = join(tempDir(), "trajectories.jsonl");
  writeFileSync(file, trajectories.slice(0, take).map((t) => JSON.stringify(t)).join("\n"));
  return { file, trajectories: trajectories.slice(0, take) };
}

const lines = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));

/**
 * How the exports are read, in one Python process (importing `datasets` costs seconds): LLaMA-Factory's
 * reading of each sharegpt folder, written from its converter.py and formatter.py rules (`datasets`
 * loads the JSONL that dataset_info.json names; human/observation at odd positions and
 * gpt/function_call at even ones, an even count; a function_call value's calls are the JSON inside the
 * first <tool_call>…</tool_call>, else the value without its <think> block), and the Parquet files
 * through pyarrow and `datasets.load_dataset`. Prints the counts of each.
 */
const READER = `
import json, re, sys
import pyarrow.parquet as pq
from datasets import load_dataset

def llamafactory(folder):
    info = json.load(open(folder + "/dataset_info.json"))["acc_trajectories"]
    assert info["formatting"] == "sharegpt"
    rows = load_dataset("json", data_files=folder + "/" + info["file_name"], split="train")
    counts = {"rows": 0, "human": 0, "gpt": 0, "function_call": 0, "observation": 0, "calls": 0}
    for row in rows:
        turns = row[info["columns"]["messages"]]
        assert len(turns) % 2 == 0, row["id"]
        for i, turn in enumerate(turns):
            assert turn["from"] in (("human", "observation"), ("gpt", "function_call"))[i % 2], (row["id"], i, turn["from"])
            counts[turn["from"]] += 1
            if turn["from"] == "function_call":
                m = re.search(r"<tool_call>(.*?)</tool_call>", turn["value"], re.DOTALL)
                if m:
                    part = m.group(1)
                else:
                    t = re.search(r"<think>\\n(.*?)\\n</think>\\n\\n", turn["value"], re.DOTALL)
                    part = turn["value"].replace(t.group(0), "") if t else turn["value"]
                calls = json.loads(part)
                calls = calls if isinstance(calls, list) else [calls]
                for c in calls:
                    json.dumps(c["arguments"])
                    assert isinstance(c["name"], str)
                counts["calls"] += len(calls)
        tools = row[info["columns"]["tools"]]
        for tool in json.loads(tools) if tools else []:
            tool["parameters"]["properties"]
        assert isinstance(row[info["columns"]["system"]], str)
        counts["rows"] += 1
    return counts

def parquet(folder):
    path = folder + "/train.parquet"
    table = pq.read_table(path).to_pylist()
    rows = load_dataset("parquet", data_files=path, split="train")
    assert [r["id"] for r in rows] == [r["id"] for r in table]
    return [{"roles": [m["role"] for m in r["messages"]], "calls": sum(len(m["tool_calls"] or []) for m in r["messages"]), "training": [m["training"] for m in r["messages"] if m["role"] == "assistant"], "tools": len(json.loads(r["tools"]))} for r in rows]

print(json.dumps({kind + ":" + folder: (llamafactory if kind == "llamafactory" else parquet)(folder) for kind, folder in (a.split(":", 1) for a in sys.argv[1:])}))
`;

test("llamafactory and parquet rows of real logs, counted from the raw files and read back as LLaMA-Factory and datasets read them", { skip: SAMPLES_MISSING }, async () => {
  const exported = async (input: string, target: "llamafactory" | "parquet", take = Infinity) => {
    const { file } = await trajectoriesFile([input], take);
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [file], outDir: out, target });
    assert.equal(stats.rejected, 0);
    return out;
  };

  // LLaMA-Factory's own tool-call demo: imported and exported, its conversations and tools come back.
  const glaive = sample("sharegpt-toolcall/glaive_toolcall_en_demo.json");
  const glaiveRaw = JSON.parse(readFileSync(glaive, "utf8")) as { conversations: { from: string; value: string }[]; tools: string }[];
  const glaiveOut = await exported(glaive, "llamafactory");
  const turn = (t: { from: string; value: string }) => (t.from === "function_call" ? { from: t.from, value: JSON.parse(t.value) } : t);
  const glaiveRows = lines(join(glaiveOut, "train.jsonl"));
  assert.equal(glaiveRows.length, glaiveRaw.length);
  glaiveRows.forEach((row, i) => {
    assert.deepEqual(row.conversations.map(turn), glaiveRaw[i]!.conversations.map(turn), `row ${i}`);
    assert.deepEqual(JSON.parse(row.tools), glaiveRaw[i]!.tools ? JSON.parse(glaiveRaw[i]!.tools) : [], `tools of row ${i}`);
  });

  // A Claude Code session: text beside calls, parallel calls, reasoning, user messages between tool results.
  const claude = sample("claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569.jsonl");
  let toolUses = 0;
  for (const line of readFileSync(claude, "utf8").split("\n")) {
    if (!line) continue;
    const record = JSON.parse(line);
    if (record.type === "assistant" && Array.isArray(record.message?.content)) toolUses += record.message.content.filter((b: { type?: string }) => b.type === "tool_use").length;
  }
  const claudeOut = await exported(claude, "llamafactory");
  assert.ok(lines(join(claudeOut, "train.jsonl"))[0].conversations.some((t: { value: string }) => t.value.startsWith("<think>\n")), "the session's reasoning is in <think> blocks");

  // tau-bench runs (the first 20): the system column, one turn per run of same-side messages, one function_call per assistant message with calls.
  const tau = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  const tauRaw = (JSON.parse(readFileSync(tau, "utf8")) as { traj: { role: string; content: string | null; tool_calls?: { function: { name: string } }[] }[] }[]).slice(0, 20);
  assert.ok(tauRaw.some((r) => !r.traj.some((m) => m.tool_calls?.length)), "a run without calls is among them");
  const tauLf = await exported(tau, "llamafactory", 20);
  lines(join(tauLf, "train.jsonl")).forEach((row, i) => {
    const traj = tauRaw[i]!.traj;
    assert.equal(row.system, traj[0]!.role === "system" ? traj[0]!.content : "");
    const kept = traj.slice(traj[0]!.role === "system" ? 1 : 0, traj.findLastIndex((m) => m.role === "assistant") + 1);
    const runs = kept.filter((m, k) => k === 0 || (m.role === "assistant") !== (kept[k - 1]!.role === "assistant"));
    assert.equal(row.conversations.length, runs.length);
    assert.equal(row.conversations.filter((t: { from: string }) => t.from === "function_call").length, kept.filter((m) => m.role === "assistant" && (m.tool_calls?.length ?? 0) > 0).length);
  });
  const tauParquet = await exported(tau, "parquet", 20);

  const python = pythonWith("pyarrow", "datasets");
  if (python === undefined) return console.log(pythonMissing("pyarrow", "datasets"));
  const args = [`llamafactory:${glaiveOut}`, `llamafactory:${claudeOut}`, `llamafactory:${tauLf}`, `parquet:${tauParquet}`];
  const result = spawnSync(python, ["-c", READER, ...args], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const read = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
  const glaiveCounts = read[args[0]!] as Record<string, number>;
  const all = glaiveRaw.flatMap((r) => r.conversations);
  for (const from of ["human", "gpt", "function_call", "observation"]) assert.equal(glaiveCounts[from], all.filter((t) => t.from === from).length, from);
  const claudeCounts = read[args[1]!] as Record<string, number>;
  assert.equal(claudeCounts.rows, 1);
  assert.equal(claudeCounts.calls, toolUses, "every tool_use of the raw file is a call LLaMA-Factory reads");
  assert.equal((read[args[2]!] as Record<string, number>).rows, tauRaw.length);
  const parquetRows = read[args[3]!] as { roles: string[]; calls: number; training: boolean[]; tools: number }[];
  assert.equal(parquetRows.length, tauRaw.length);
  parquetRows.forEach((row, i) => {
    assert.deepEqual(row.roles, tauRaw[i]!.traj.map((m) => m.role));
    assert.equal(row.calls, tauRaw[i]!.traj.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0));
    assert.ok(row.training.every(Boolean));
    // tau-bench logs list no tools: they are rebuilt from the calls, one per tool name called.
    assert.equal(row.tools, new Set(tauRaw[i]!.traj.flatMap((m) => (m.tool_calls ?? []).map((c) => c.function.name))).size);
  });
});

test("llamafactory: turns copied from an earlier trajectory are refused under --mask assistant (LLaMA-Factory would train them) and kept as history under --mask last", async () => {
  const input = join(FIXTURES, "terminus-2_hello-world-context-summarization-linear-history.trajectory.cont-1.json");
  const { file } = await trajectoriesFile([input]);
  await assert.rejects(exportTrajectories({ inputs: [file], outDir: tempDir(), target: "llamafactory" }), /copied from an earlier trajectory/);
  const out = tempDir();
  const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "llamafactory", mask: "last" });
  assert.equal(stats.exported, 1);
  assert.match(readFileSync(join(out, "README.md"), "utf8"), /mask_history: true/);
});

test("llamafactory: text or reasoning holding LLaMA-Factory's own markers, and a conversation opening with the assistant, are refused with the reason", async () => {
  const call = { id: "c", id_origin: "source", name: "f", raw_arguments: '{"x":1}', arguments: { x: 1 }, type: "function" };
  const { trajectories } = await importAll([join(FIXTURES, "terminus-2_hello-world-context-summarization-linear-history.trajectory.cont-1.json")]);
  const template = trajectories[0]!;
  const variant = (messages: unknown[]) => JSON.stringify({ ...template, messages });
  const hostile = [
    variant([{ role: "user", content: "q" }, { role: "assistant", content: "", reasoning: "plan\n</think>\n\n[1]", tool_calls: [call] }]),
    variant([{ role: "user", content: "q" }, { role: "assistant", content: 'see <tool_call>{"name":"g","arguments":{}}</tool_call>', reasoning: null, tool_calls: [call] }]),
    variant([{ role: "assistant", content: "hello", reasoning: null, tool_calls: [] }]),
  ];
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, hostile.join("\n"));
  await assert.rejects(exportTrajectories({ inputs: [file], outDir: tempDir(), target: "llamafactory" }), (error: Error) => {
    assert.match(error.message, /all 3 lines were refused/);
    return true;
  });
  const out = tempDir();
  writeFileSync(file, [...hostile, variant([{ role: "user", content: "q" }, { role: "assistant", content: "a", reasoning: null, tool_calls: [] }])].join("\n"));
  const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "llamafactory" });
  assert.deepEqual([stats.exported, stats.rejected], [1, 3]);
  const reasons = lines(join(out, "rejects.jsonl")).map((r) => r.reason as string);
  assert.match(reasons[0]!, /LLaMA-Factory would misread the tool calls/);
  assert.match(reasons[1]!, /LLaMA-Factory would misread the tool calls/);
  assert.match(reasons[2]!, /starts with an assistant turn/);
});

const TOKEN_READER = `
import json, sys
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1] + "/train.parquet")
print(json.dumps({"types": {f.name: str(f.type) for f in table.schema}, "rows": table.to_pylist()}))
`;

test("parquet --tokenized: rows of input_ids, labels and loss_mask as list<int32> columns, equal to the JSONL rows, read back with pyarrow", { skip: pythonMissing("pyarrow") }, async () => {
  const { file } = await trajectoriesFile([join(import.meta.dirname, "../../examples/logs")]);
  const qwen3 = await loadQwen3();
  const exported = async (target: "parquet" | "openai", options: { maxTokens?: number } = {}) => {
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [file], outDir: out, target, tokenizer: qwen3, mask: "last", ...options });
    assert.ok(stats.rows > 0);
    return { out, stats };
  };
  const jsonl = await exported("openai", { maxTokens: 1024 });
  const parquet = await exported("parquet", { maxTokens: 1024 });
  assert.equal(parquet.stats.rows, jsonl.stats.rows);
  const result = spawnSync(pythonWith("pyarrow")!, ["-c", TOKEN_READER, parquet.out], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const read = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { types: Record<string, string>; rows: unknown[] };
  assert.deepEqual(read.types, { id: "string", input_ids: "list<element: int32 not null>", labels: "list<element: int32 not null>", loss_mask: "list<element: int32 not null>", token_source: "string" });
  assert.deepEqual(read.rows, lines(join(jsonl.out, "train.jsonl")));
});
