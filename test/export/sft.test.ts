import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { type SftConversation, sftConversation, templateMessages } from "../../src/export/sft.js";
import { tokenizeConversation } from "../../src/export/tokenized.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { QWEN3_DIR, loadQwen3 } from "../../src/tokenize/qwen3.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { SAMPLES_DIR, SAMPLES_MISSING, sample } from "../helpers/samples.js";

const qwen3 = await loadQwen3();
const FIXTURES = join(import.meta.dirname, "../fixtures/atif");
const CLAUDE_SESSION = "claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569.jsonl";

/** Every real sample and ATIF fixture, imported once for the tests that read them. */
let imported: ReturnType<typeof importAll> | undefined;
const samples = () => (imported ??= importAll([SAMPLES_DIR, FIXTURES]));
const claudeSession = async () => (await samples()).trajectories.find((t) => t.source.file.endsWith(CLAUDE_SESSION))!;

/**
 * The properties every tokenized row must have: labels are the ids on trained tokens and -100
 * elsewhere; the trained tokens of each span decode exactly to the span of the rendered text; that
 * span holds the assistant's content and reasoning; it starts where the turn starts (after the
 * template's generation prompt) or, when one token holds the prompt's last characters and the turn's
 * first (Qwen3's "\n" + an assistant text opening with "\n\n"), at that token's start: the boundary
 * rule of transformers' assistant masks, a token holding any character of the turn is trained; and
 * re-rendering the conversation before a trained turn gives exactly the row's earlier tokens.
 */
function checkRow(conversation: SftConversation, row: ReturnType<typeof tokenizeConversation>[number], trained: number[]) {
  assert.equal(row.input_ids.length, row.labels.length);
  row.labels.forEach((label, k) => assert.equal(label, row.loss_mask[k] ? row.input_ids[k] : -100));
  assert.deepEqual(qwen3.encode(row.text), row.input_ids);
  assert.equal(row.spans.length, trained.length);
  const turnStart = qwen3.chatTemplatePrefixes(templateMessages(conversation), conversation.tools.length > 0 ? { tools: conversation.tools } : {});
  let k = 0;
  row.spans.forEach((span, s) => {
    const message = conversation.messages[trained[s]!]!;
    assert.equal(message.role, "assistant");
    const ids: number[] = [];
    while (k < row.loss_mask.length && !row.loss_mask[k]) k++;
    const before = row.input_ids.slice(0, k);
    while (k < row.loss_mask.length && row.loss_mask[k]) ids.push(row.input_ids[k++]!);
    const spanText = row.text.slice(span.start, span.end);
    assert.equal(qwen3.decode(ids), spanText);
    assert.ok(spanText.endsWith("<|im_end|>"), spanText.slice(-40));
    if (message.content) assert.ok(spanText.includes(message.content.trim()), `content of message ${trained[s]}`);
    if (message.reasoning_content) assert.ok(spanText.includes(message.reasoning_content.trim()), `reasoning of message ${trained[s]}`);
    const start = turnStart(trained[s]!, true).length;
    assert.ok(span.start <= start && start < span.start + qwen3.decode(ids.slice(0, 1)).length, `message ${trained[s]}'s first trained token holds its first character`);
    assert.deepEqual(prefixIds(row.text, span.start, before), before, "the tokens before a trained turn are the prefix's own");
  });
}

/**
 * `qwen3.encode(text.slice(0, at))`, given `ids`, the whole text's ids before `at`, without encoding
 * the whole prefix again (the Claude Code session's rows are 0.5 M characters, with 139 turns): Qwen3's
 * tokenizer matches its added tokens before the BPE runs, so the prefix's ids are the whole text's up to
 * the last added token before `at`, then those of the text from that token to `at`, encoded here.
 */
function prefixIds(text: string, at: number, ids: readonly number[]): number[] {
  const marker = text.lastIndexOf("<|im_start|>", at - 1);
  if (marker === -1) return qwen3.encode(text.slice(0, at));
  const k = ids.lastIndexOf(qwen3.specialTokens.all.get("<|im_start|>")!);
  assert.equal(qwen3.decode(ids.slice(k)), text.slice(marker, at), "the ids from the last <|im_start|> decode to the text from it");
  return [...ids.slice(0, k), ...qwen3.encode(text.slice(marker, at))];
}

test("sft: tokenized Qwen3 rows of real agent runs train exactly the assistant turns, counted from the raw tau-bench file", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(sample("openai-chat-tau-bench/gpt-4o-airline.json"), "utf8")) as { traj: { role: string }[] }[];
  const { trajectories } = await importAll([sample("openai-chat-tau-bench/gpt-4o-airline.json")]);
  for (let i = 0; i < 5; i++) {
    const t = trajectories[i]!;
    const conversation = sftConversation(t, "assistant");
    const rows = tokenizeConversation(conversation, qwen3);
    const trained = conversation.train.flatMap((on, j) => (on ? [j] : []));
    assert.equal(trained.length, raw[i]!.traj.filter((m) => m.role === "assistant").length);
    // tau-bench runs have one user message per turn of the simulated user: one row per user turn.
    const userTurns = raw[i]!.traj.filter((m) => m.role === "user").length;
    assert.ok(rows.length >= 1 && rows.length <= userTurns);
    let next = 0;
    for (const row of rows) {
      checkRow(conversation, row, trained.slice(next, next + row.spans.length));
      next += row.spans.length;
    }
    assert.equal(next, trained.length, "every assistant turn is trained once");
  }
});

test("sft: a Claude Code session with reasoning, tool calls and a compaction gives rows whose masks decode to its turns", { skip: SAMPLES_MISSING }, async () => {
  const t = await claudeSession();
  for (const mask of ["last", "final"] as const) {
    const conversation = sftConversation(t, mask);
    const rows = tokenizeConversation(conversation, qwen3);
    const trained = conversation.train.flatMap((on, j) => (on ? [j] : []));
    assert.equal(trained.length, 1);
    assert.equal(rows.length, 1);
    checkRow(conversation, rows[0]!, trained);
  }
});

test("sft: --mask assistant on the real Claude Code session: every assistant message trained once, counted from the raw file; texts opening with \"\\n\\n\" train the token they share with the turn header", { skip: SAMPLES_MISSING }, async () => {
  const raw = readFileSync(sample(CLAUDE_SESSION), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; message?: { id: string; content: { type: string; text?: string }[] } });
  const assistantMessages = new Set(raw.filter((r) => r.type === "assistant").map((r) => r.message!.id));
  const openingNewlines = raw.filter((r) => r.type === "assistant" && r.message!.content.some((b) => b.type === "text" && b.text!.startsWith("\n\n"))).length;
  assert.ok(openingNewlines > 0, "the session has assistant texts opening with two newlines");
  const conversation = sftConversation(await claudeSession(), "assistant");
  const rows = tokenizeConversation(conversation, qwen3);
  const trained = conversation.train.flatMap((on, j) => (on ? [j] : []));
  assert.equal(trained.length, assistantMessages.size);
  let next = 0;
  for (const row of rows) {
    checkRow(conversation, row, trained.slice(next, next + row.spans.length));
    next += row.spans.length;
  }
  assert.equal(next, trained.length, "every assistant turn is trained once");
  const widened = rows.flatMap((row) => row.spans.filter((span) => !row.text.slice(0, span.start).endsWith("<|im_start|>assistant\n")));
  assert.ok(widened.length > 0 && widened.length <= openingNewlines, `${widened.length} turns start inside the header's last token`);
});

test("sft: the mask property holds on every real sample format with assistant turns and on the ATIF fixtures (the first two trajectories of each)", { skip: SAMPLES_MISSING }, async () => {
  const { trajectories } = await samples();
  const byFormat = new Map<string, Trajectory[]>();
  // The Claude Code main session has its own test above; its sub-agents are checked here.
  for (const t of trajectories.filter((t) => !t.source.file.endsWith(CLAUDE_SESSION))) byFormat.set(t.source.format, [...(byFormat.get(t.source.format) ?? []), t]);
  let checked = 0;
  for (const [format, list] of byFormat) {
    for (const t of list.slice(0, 2)) {
      const conversation = sftConversation(t, "assistant");
      if (!conversation.train.some(Boolean)) continue;
      const trained = conversation.train.flatMap((on, j) => (on ? [j] : []));
      let next = 0;
      for (const row of tokenizeConversation(conversation, qwen3)) {
        checkRow(conversation, row, trained.slice(next, next + row.spans.length));
        next += row.spans.length;
      }
      assert.equal(next, trained.length, `${format} ${t.id}: every assistant turn is trained once`);
      checked++;
    }
  }
  assert.ok(byFormat.size >= 13 && checked >= 19, `${checked} trajectories of ${[...byFormat.keys()].join(", ")}`);
});

const twoTurns: Trajectory = JSON.parse(
  JSON.stringify({
    messages: [
      { role: "user", content: "first" },
      { role: "assistant", content: "one", reasoning: "think one", tool_calls: [] },
      { role: "user", content: "second" },
      { role: "assistant", content: "", reasoning: "think two", tool_calls: [{ id: "c", id_origin: "source", name: "f", raw_arguments: '{"x":  1}', arguments: { x: 1 }, type: "function" }] },
      { role: "tool", call_id: "c", name: "f", content: "result", is_error: false, pairing: "id" },
      { role: "assistant", content: "two", reasoning: null, tool_calls: [] },
    ],
    tools: undefined,
  }),
);

test("sft: Qwen3 drops earlier <think> blocks, so two user turns give two rows, each keeping its own reasoning; call arguments are the model's own text", () => {
  const conversation = sftConversation(twoTurns, "assistant");
  const rows = tokenizeConversation(conversation, qwen3);
  assert.equal(rows.length, 2);
  checkRow(conversation, rows[0]!, [1]);
  checkRow(conversation, rows[1]!, [3, 5]);
  assert.ok(!rows[1]!.text.includes("think one"), "the template dropped the first turn's reasoning");
  assert.ok(rows[1]!.text.includes('{"x":  1}'), "raw argument text, not re-serialised");
  assert.deepEqual(conversation.tools, [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { x: { type: "integer" } } } } }]);
  const none = tokenizeConversation(sftConversation(twoTurns, "none"), qwen3);
  assert.equal(none.length, 1);
  assert.ok(none[0]!.loss_mask.every((m) => m === 1));
});

test("sft: steps copied from an earlier trajectory (ATIF is_copied_context) stay in the prompt and are never trained", async () => {
  const file = join(FIXTURES, "terminus-2_hello-world-context-summarization-linear-history.trajectory.cont-1.json");
  const raw = JSON.parse(readFileSync(file, "utf8")) as { steps: { source: string; is_copied_context?: boolean }[] };
  const { trajectories } = await importAll([file]);
  const conversation = sftConversation(trajectories[0]!, "assistant");
  const agentSteps = raw.steps.filter((s) => s.source === "agent");
  assert.ok(agentSteps.some((s) => s.is_copied_context));
  assert.equal(conversation.train.filter(Boolean).length, agentSteps.filter((s) => !s.is_copied_context).length);
});

test("sft: trl, axolotl and openai rows from trajectories: tools, tool calls, results, reasoning and the trained turns", { skip: SAMPLES_MISSING }, async () => {
  const input = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  const raw = JSON.parse(readFileSync(input, "utf8")) as { traj: { role: string }[] }[];
  const { trajectories } = await importAll([input]);
  const file = join(tempDir(), "trajectories.jsonl");
  writeFileSync(file, trajectories.map((t) => JSON.stringify(t)).join("\n"));
  const rows = async (target: "trl" | "axolotl" | "openai", mask: "assistant" | "final") => {
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [file], outDir: out, target, mask });
    assert.deepEqual([stats.read, stats.exported, stats.rejected], [raw.length, raw.length, 0]);
    return readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  };
  const trl = await rows("trl", "assistant");
  assert.equal(trl[0].messages.length, raw[0]!.traj.length);
  assert.deepEqual(trl[0].messages.map((m: { role: string }) => m.role), raw[0]!.traj.map((m) => m.role));
  assert.ok(trl[0].tools.length > 0);
  const openai = await rows("openai", "final");
  const weights = openai[0].messages.filter((m: { role: string }) => m.role === "assistant").map((m: { weight: number }) => m.weight);
  assert.equal(weights.filter((w: number) => w === 1).length, 1);
  const call = openai[0].messages.find((m: { tool_calls?: unknown[] }) => m.tool_calls)?.tool_calls[0];
  assert.equal(typeof call.function.arguments, "string", "OpenAI fine-tuning wants argument strings");
  const axolotl = await rows("axolotl", "assistant");
  assert.ok(axolotl[0].messages.filter((m: { role: string }) => m.role === "assistant").every((m: { training: boolean }) => m.training === true));
});

test("sft: the ids equal Python tokenizers' on the same Qwen3 tokenizer.json", { skip: pythonMissing("tokenizers") }, () => {
  const python = pythonWith("tokenizers")!;
  const dir = tempDir();
  writeFileSync(join(dir, "tokenizer.json"), gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz"))));
  const rows = tokenizeConversation(sftConversation(twoTurns, "assistant"), qwen3);
  writeFileSync(join(dir, "texts.json"), JSON.stringify(rows.map((r) => r.text)));
  const script = `
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
print(json.dumps([tok.encode(t, add_special_tokens=False).ids for t in json.load(open(sys.argv[1] + "/texts.json"))]))
`;
  const result = spawnSync(python, ["-c", script, dir], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), rows.map((r) => r.input_ids));
});

test("sft: the rendered text equals jinja2's rendering of Qwen3's own template (as transformers runs it)", { skip: pythonMissing("jinja2") }, () => {
  const python = pythonWith("jinja2")!;
  const dir = tempDir();
  const conversation = sftConversation(twoTurns, "assistant");
  const rows = tokenizeConversation(conversation, qwen3);
  const template = JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")).chat_template as string;
  writeFileSync(join(dir, "in.json"), JSON.stringify({ template, messages: [conversation.messages.slice(0, 2), conversation.messages], tools: conversation.tools }));
  const script = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def raise_exception(message):
    raise Exception(message)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
data = json.load(open(sys.argv[1] + "/in.json"))
t = env.from_string(data["template"])
print(json.dumps([t.render(messages=m, tools=data["tools"], add_generation_prompt=False) for m in data["messages"]]))
`;
  const result = spawnSync(python, ["-c", script, dir], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), rows.map((r) => r.text));
});
