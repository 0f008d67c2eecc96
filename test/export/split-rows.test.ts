import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sftConversation } from "../../src/export/sft.js";
import { summarySegments } from "../../src/export/summary-segments.js";
import { exportTrajectories } from "../../src/export/trajectories.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const qwen3 = await loadQwen3();
const IM_START = qwen3.specialTokens.all.get("<|im_start|>")!;

type Row = { id: string; input_ids: number[]; labels: number[] };

test("--max-tokens: tau-bench rows cut where messages start; every piece fits, and the pieces' trained tokens put together are the whole row's", { skip: SAMPLES_MISSING }, async () => {
  const input = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  const raw = (JSON.parse(readFileSync(input, "utf8")) as unknown[]).slice(0, 3);
  const { trajectories } = await importAll([input]);
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, trajectories.slice(0, raw.length).map((t) => JSON.stringify(t)).join("\n"));
  const rows = async (maxTokens?: number) => {
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "trl", tokenizer: qwen3, ...(maxTokens ? { maxTokens } : {}) });
    return { stats, rows: readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row) };
  };
  const whole = await rows();
  const budget = 2000; // over each run's system prompt (1,270-1,724 tokens), under two of the three rows
  const cut = await rows(budget);
  assert.ok(cut.rows.length > whole.rows.length, "some rows were cut");
  const trajectoryOf = (id: string) => id.split("#")[0]!;
  for (const t of trajectories.slice(0, raw.length)) {
    const trained = (list: Row[]) => list.filter((r) => trajectoryOf(r.id) === t.id).flatMap((r) => r.labels.filter((l) => l !== -100));
    assert.deepEqual(trained(cut.rows), trained(whole.rows), `trained tokens of ${t.id}`);
    const pieces = cut.rows.filter((r) => trajectoryOf(r.id) === t.id);
    assert.deepEqual(pieces.map((r) => r.id), pieces.length === 1 ? [t.id] : pieces.map((_, k) => `${t.id}#${k}`));
    for (const piece of pieces) {
      assert.ok(piece.input_ids.length <= budget);
      assert.equal(piece.input_ids[0], IM_START, "a piece starts where a message starts");
      assert.ok(piece.labels.some((l) => l !== -100), "no piece without a trained token");
    }
  }
  // A budget smaller than one message: refused with the message and its size, nothing cut inside it.
  await assert.rejects(rows(20), /all 3 lines were refused.*the message at token \d+ is \d+ tokens, over --max-tokens 20/);
});

test("--max-tokens on a Claude Code session with a compaction: rows start from the summary and never cross it, counted from the raw file; the budget then cuts within each segment", { skip: SAMPLES_MISSING }, async () => {
  const input = sample("claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569.jsonl");
  const raw = readFileSync(input, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; subtype?: string; isCompactSummary?: boolean; message?: { content: unknown } });
  const boundary = raw.findIndex((r) => r.subtype === "compact_boundary");
  assert.equal(raw.filter((r) => r.subtype === "compact_boundary").length, 1);
  const summaryLine = raw.findIndex((r) => r.isCompactSummary === true);
  const content = raw[summaryLine]!.message!.content;
  const summary = typeof content === "string" ? content : (content as { text: string }[]).map((b) => b.text).join("\n\n");
  const assistantText = (r: (typeof raw)[number]) => (r.type === "assistant" && Array.isArray(r.message?.content) ? (r.message.content as { type: string; text?: string }[]).find((b) => b.type === "text" && b.text!.trim().length > 40)?.text?.trim().slice(0, 60) : undefined);
  const before = raw.slice(0, boundary).map(assistantText).filter(Boolean).at(-1)!;
  const after = raw.slice(summaryLine).map(assistantText).find(Boolean)!;

  const { trajectories } = await importAll([input]);
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, JSON.stringify(trajectories[0]));
  const rows = async (mask: "last" | "none", maxTokens?: number) => {
    const out = tempDir();
    await exportTrajectories({ inputs: [file], outDir: out, target: "trl", tokenizer: qwen3, mask, ...(maxTokens ? { maxTokens } : {}) });
    return readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row);
  };
  // The first user message of the row is the summary (after the system block the template renders the tools in).
  const opensWithSummary = (row: Row) => {
    const text = qwen3.decode(row.input_ids);
    const at = text.indexOf(`<|im_start|>user\n${summary.trim()}`);
    return at !== -1 && at === text.indexOf("<|im_start|>user\n");
  };

  // Every token trained: one row per segment, the second starting from the summary as the model saw it after the compaction.
  const segments = await rows("none", 1_000_000);
  assert.equal(segments.length, 2);
  const texts = segments.map((r) => qwen3.decode(r.input_ids));
  assert.ok(!opensWithSummary(segments[0]!) && opensWithSummary(segments[1]!));
  assert.ok(texts[0]!.includes(before) && !texts[1]!.includes(before), "the last assistant text before the compaction is in the first row only");
  assert.ok(texts[1]!.includes(after) && !texts[0]!.includes(after), "the first assistant text after it is in the second row only");

  // --mask last: the one trained turn is after the compaction; its row starts from the summary and trains the same tokens as the uncut row.
  const [uncut] = await rows("last");
  const [cut, ...more] = await rows("last", 1_000_000);
  assert.equal(more.length, 0);
  assert.ok(opensWithSummary(cut!) && cut!.input_ids.length < uncut!.input_ids.length);
  const trained = (row: Row) => row.labels.filter((l) => l !== -100);
  assert.deepEqual(trained(cut!), trained(uncut!));

  // A budget under the segments' lengths: pieces fit it and are slices of the segments' rows, in order.
  const budget = 32_768;
  const pieces = await rows("none", budget);
  assert.ok(pieces.length > 2 && pieces.every((p) => p.input_ids.length <= budget));
  assert.deepEqual(pieces.flatMap((p) => p.input_ids), segments.flatMap((r) => r.input_ids));
  assert.equal(pieces.filter(opensWithSummary).length, 1, "one piece starts at the summary");
});

test("summary segments: a rollout's next segment already opens with the task and summary (not repeated); system messages lead every segment; untrained segments are left out", () => {
  const t = {
    messages: [
      { role: "system", content: "sys" },
      { role: "user", content: "task" },
      { role: "assistant", content: "a1", reasoning: null, tool_calls: [] },
      { role: "user", content: "task\nSummary so far: S1" },
      { role: "assistant", content: "a2", reasoning: null, tool_calls: [] },
      { role: "user", content: "more" },
      { role: "assistant", content: "a3", reasoning: null, tool_calls: [] },
    ],
    events: [
      { kind: "summary", message_index: 3, summary: "Summary so far: S1", marker: "supo-summary" },
      { kind: "compaction", message_index: 5, summary: "S2", marker: "compacted" },
    ],
    tools: undefined,
  } as unknown as Trajectory;
  const contents = (mask: "assistant" | "last") => summarySegments(t, sftConversation(t, mask)).map((s) => s.conversation.messages.map((m) => `${m.role}:${m.content}`));
  assert.deepEqual(contents("assistant"), [
    ["system:sys", "user:task", "assistant:a1"],
    ["system:sys", "user:task\nSummary so far: S1", "assistant:a2"],
    ["system:sys", "user:S2", "user:more", "assistant:a3"],
  ]);
  assert.deepEqual(contents("last"), [["system:sys", "user:S2", "user:more", "assistant:a3"]]);
  const [segment] = summarySegments(t, sftConversation(t, "last"));
  assert.deepEqual(segment!.conversation.train, [false, false, false, true]);
  assert.deepEqual(segment!.trajectory.messages.map((m) => m.role), ["system", "user", "user", "assistant"]);
});
