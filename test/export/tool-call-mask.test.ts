import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sftConversation } from "../../src/export/sft.js";
import { maskToolCalls } from "../../src/export/tool-call-mask.js";
import { trajectoryTokenRows } from "../../src/export/token-rows.js";
import { exportTrajectories } from "../../src/export/trajectories.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const qwen3 = await loadQwen3();

/** Runs of 1s in `mask` where `base` also had 1s… as [start, end) token ranges. */
function runs(flags: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  flags.forEach((on, k) => {
    if (!on) return;
    const last = out.at(-1);
    if (last && last[1] === k) last[1] = k + 1;
    else out.push([k, k + 1]);
  });
  return out;
}

/**
 * The property: the tokens --mask-tool-args takes out of training are exactly the tool calls of the
 * trained turns, each decoding to Qwen3's rendering of the call as the model wrote it
 * (`<tool_call>\n{"name": "<name>", "arguments": <the raw argument text>}\n</tool_call>`, built here
 * from the raw calls); every other trained token stays trained (text, reasoning, <|im_end|>).
 */
function checkMasked(t: Trajectory, expectedCalls: { name: string; raw: string }[]) {
  const conversation = sftConversation(t, "assistant");
  const { rows } = trajectoryTokenRows(t, conversation, qwen3);
  const removed: string[] = [];
  for (const row of rows) {
    const masked = maskToolCalls(row, qwen3);
    masked.response_mask.forEach((m, k) => assert.ok(!m || row.response_mask[k], "nothing untrained becomes trained"));
    const gone = row.response_mask.map((m, k) => m === 1 && masked.response_mask[k] === 0);
    for (const [start, end] of runs(gone)) removed.push(qwen3.decode(row.response_ids.slice(start, end)));
    const kept = qwen3.decode(row.response_ids.filter((_, k) => masked.response_mask[k]));
    assert.ok(!kept.includes("<tool_call>") && !kept.includes("</tool_call>"));
    assert.equal((kept.match(/<\|im_end\|>/g) ?? []).length, (qwen3.decode(row.response_ids.filter((_, k) => row.response_mask[k])).match(/<\|im_end\|>/g) ?? []).length, "every trained turn still ends trained");
  }
  // Parallel calls of one turn are one run, joined by the template's newline.
  assert.equal(removed.join("\n"), expectedCalls.map((c) => `<tool_call>\n{"name": "${c.name}", "arguments": ${c.raw}}\n</tool_call>`).join("\n"));
}

const turns = JSON.parse(
  JSON.stringify({
    messages: [
      { role: "user", content: "find x" },
      {
        role: "assistant",
        content: "Looking.",
        reasoning: "two lookups",
        tool_calls: [
          { id: "a", id_origin: "source", name: "search", raw_arguments: '{"q":  "x"}', arguments: { q: "x" }, type: "function" },
          { id: "b", id_origin: "source", name: "open", raw_arguments: '{"url": "https://e.org/x"}', arguments: { url: "https://e.org/x" }, type: "function" },
        ],
      },
      { role: "tool", call_id: "a", name: "search", content: "r1", is_error: false, pairing: "id" },
      { role: "tool", call_id: "b", name: "open", content: "r2", is_error: false, pairing: "id" },
      { role: "assistant", content: "x is 1", reasoning: null, tool_calls: [] },
    ],
  }),
) as Trajectory;

test("--mask-tool-args: parallel calls with text and reasoning beside them; the masked tokens decode exactly to the calls as the model wrote them", () => {
  checkMasked(turns, [
    { name: "search", raw: '{"q":  "x"}' },
    { name: "open", raw: '{"url": "https://e.org/x"}' },
  ]);
});

test("--mask-tool-args on real tau-bench runs: one masked run per call, counted and built from the raw file", { skip: SAMPLES_MISSING }, async () => {
  const input = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  const raw = JSON.parse(readFileSync(input, "utf8")) as { traj: { role: string; tool_calls?: { function: { name: string; arguments: string } }[] }[] }[];
  const { trajectories } = await importAll([input]);
  for (let i = 0; i < 3; i++) {
    checkMasked(trajectories[i]!, raw[i]!.traj.flatMap((m) => (m.role === "assistant" ? (m.tool_calls ?? []).map((c) => ({ name: c.function.name, raw: c.function.arguments })) : [])));
  }
  // Through the export: labels are -100 on every call token, the rows otherwise unchanged.
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, JSON.stringify(trajectories[0]));
  const rows = async (maskToolArgs: boolean) => {
    const out = tempDir();
    await exportTrajectories({ inputs: [file], outDir: out, target: "trl", tokenizer: qwen3, maskToolArgs });
    return readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { input_ids: number[]; labels: number[] });
  };
  const [plain, masked] = [await rows(false), await rows(true)];
  assert.deepEqual(masked.map((r) => r.input_ids), plain.map((r) => r.input_ids));
  const callTokens = masked.flatMap((r, j) => r.labels.flatMap((label, k) => (label === -100 && plain[j]!.labels[k] !== -100 ? [r.input_ids[k]!] : [])));
  const calls = raw[0]!.traj.flatMap((m) => m.tool_calls ?? []).length;
  assert.equal((qwen3.decode(callTokens).match(/<tool_call>/g) ?? []).length, calls);
});

test("--mask-tool-args is refused where it cannot apply: rows of text, --mask none", async () => {
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, JSON.stringify(turns));
  await assert.rejects(exportTrajectories({ inputs: [file], outDir: tempDir(), target: "trl", maskToolArgs: true }), /--mask-tool-args applies to rows of token ids/);
  await assert.rejects(exportTrajectories({ inputs: [file], outDir: tempDir(), target: "trl", tokenizer: qwen3, mask: "none", maskToolArgs: true }), /none trains every token/);
});
