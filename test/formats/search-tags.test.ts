import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";

// No real Search-R1 / Tongyi / Search-o1 dumps are public (SOURCES.md); these rows follow the code that writes them:
// Search-R1 search_r1/llm_agent/generation.py, Alibaba-NLP/DeepResearch inference/react_agent.py, Search-o1 / WebThinker.

const callsOf = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const resultsOf = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");
const roles = (t: Trajectory) => t.messages.map((m) => m.role);

function writeRows(rows: unknown[], name = "rows.jsonl"): string {
  const file = join(tempDir(), name);
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return file;
}

const R1_TEMPLATE =
  "Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new information. " +
  "After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return " +
  "the top searched results between <information> and </information>. You can search as many times as your want. If you find no " +
  "further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed " +
  "illustrations. For example, <answer> Beijing </answer>. Question: ";
const INVALID =
  "\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. " +
  "If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n";
const info = (docs: string[]) => `\n\n<information>${docs.map((d, i) => `Doc ${i + 1}(Title: ${d}) ${d} text`).join("\n")}</information>\n\n`;

const r1Plain = {
  prompt: `${R1_TEMPLATE}who wrote the left hand of darkness?\n`,
  response:
    "<think>I need the author.</think>\n<search> the left hand of darkness author </search>" +
    info(["The Left Hand of Darkness", "Ursula K. Le Guin"]) +
    "<think>It is Le Guin.</think>\n<answer> Ursula K. Le Guin </answer>",
  golden_answers: ["Ursula K. Le Guin", "Le Guin"],
  score: 1,
};
// verl-style rollout: ChatML-rendered prompt (ending with the generation prompt) and a response with turn markers.
const r1ChatML = {
  input: `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${R1_TEMPLATE}capital of australia?\n<|im_end|>\n<|im_start|>assistant\n`,
  output: `<think>Search.</think>\n(search> capital ${INVALID}<search> capital of australia </search>${info(["Canberra"])}<search>canberra population</search>${info(["Canberra"])}<answer> Canberra </answer><|im_end|>`,
  reward_model: { style: "rule", ground_truth: { target: ["Canberra"] } },
};

test("search-tags (Search-R1): <search> calls pair with <information> results; <think> is reasoning; <answer> the final answer", async () => {
  const { trajectories, rejects } = await importAll([writeRows([r1Plain, r1ChatML])]);
  assert.equal(rejects.length, 0);
  const [plain, chatml] = trajectories as [Trajectory, Trajectory];
  assert.deepEqual([plain.source.format, plain.source.format_version], ["search-tags", "search-r1"]);
  assert.deepEqual(roles(plain), ["user", "assistant", "tool", "assistant"]);
  assert.deepEqual(callsOf(plain).map((c) => [c.name, c.raw_arguments, c.arguments]), [
    ["search", " the left hand of darkness author ", { query: "the left hand of darkness author" }],
  ]);
  const [result] = resultsOf(plain);
  assert.ok(result?.role === "tool" && result.content.startsWith("Doc 1(Title: The Left Hand of Darkness)") && result.call_id === callsOf(plain)[0]!.id);
  assert.deepEqual(plain.messages.filter((m) => m.role === "assistant").map((m) => m.role === "assistant" && m.reasoning), ["I need the author.", "It is Le Guin."]);
  assert.deepEqual([plain.final.answer, plain.final.kind, plain.final.reasoning], ["Ursula K. Le Guin", "answer_tag", "It is Le Guin."]);
  assert.deepEqual([plain.task.question, plain.task.question_origin, plain.task.ground_truth], ["who wrote the left hand of darkness?", "extracted_from_template", "Ursula K. Le Guin"]);
  assert.deepEqual(plain.extra.golden_answers, r1Plain.golden_answers, "the accepted answers stay listed");
  assert.deepEqual([plain.outcome.reward, plain.outcome.success, plain.outcome.label_source], [1, true, "search_tags.score"]);

  // The environment's invalid-action feedback quotes <search> tags: it is a user turn, not a call.
  assert.deepEqual(roles(chatml), ["system", "user", "assistant", "user", "assistant", "tool", "assistant", "tool", "assistant"]);
  assert.deepEqual(callsOf(chatml).map((c) => c.arguments), [{ query: "capital of australia" }, { query: "canberra population" }]);
  assert.equal(chatml.messages[3]!.content, INVALID.trim());
  assert.equal(chatml.messages[3]!.extra?.inserted_by, "environment");
  assert.equal(chatml.messages[2]!.content, "(search> capital");
  assert.deepEqual([chatml.final.answer, chatml.task.ground_truth, chatml.task.question], ["Canberra", "Canberra", "capital of australia?"]);
  assert.equal(chatml.task.system_prompt, "You are a helpful assistant.");
});

const tongyi = {
  question: "What is the capital of Australia, and what is 1+1?",
  answer: "Canberra; 2",
  messages: [
    { role: "system", content: 'You are a deep research assistant. Call tools as <tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>' },
    { role: "user", content: "What is the capital of Australia, and what is 1+1?" },
    { role: "assistant", content: '<think>Search first.</think>\n<tool_call>\n{"name": "search", "arguments": {"query": ["capital of Australia"]}}\n</tool_call>' },
    { role: "user", content: "<tool_response>\nA Google search for 'capital of Australia' found 1 results:\n1. [Canberra](https://en.wikipedia.org/wiki/Canberra)\n</tool_response>" },
    { role: "assistant", content: '<think>Open it.</think>\n<tool_call>\n{"name": "visit", "arguments": {"url": ["https://en.wikipedia.org/wiki/Canberra"], "goal": "capital"}}\n</tool_call>' },
    { role: "user", content: "<tool_response>\nThe useful information in https://en.wikipedia.org/wiki/Canberra: Canberra is the capital.\n</tool_response>" },
    { role: "assistant", content: '<think>Compute.</think>\n<tool_call>\n{"purpose": "add", "name": "PythonInterpreter", "arguments": {}}\n<code>\nprint(1+1)\n</code>\n</tool_call>' },
    { role: "user", content: "<tool_response>\nstdout:\n2\n</tool_response>" },
    { role: "assistant", content: "<think>Bad call.</think>\n<tool_call>\n{name: search}\n</tool_call>" },
    { role: "user", content: '<tool_response>\nError: Tool call is not a valid JSON. Tool call must contain a valid "name" and "arguments" field.\n</tool_response>' },
    { role: "assistant", content: "<think>Done.</think>\n<answer>Canberra; 2</answer>" },
  ],
  prediction: "Canberra; 2",
  termination: "answer",
};

test("search-tags (Tongyi): <tool_call> JSON in assistant text, <tool_response> user turns as tool results, <answer>", async () => {
  const { trajectories, rejects } = await importAll([writeRows([tongyi], "tongyi.jsonl")]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.deepEqual([t.source.format, t.source.format_version], ["search-tags", "tongyi"]);
  assert.deepEqual(roles(t), ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"]);
  const calls = callsOf(t);
  assert.deepEqual(calls.map((c) => c.name), ["search", "visit", "PythonInterpreter", ""]);
  assert.deepEqual(calls[0]!.arguments, { query: ["capital of Australia"] });
  assert.equal(calls[0]!.raw_arguments, '\n{"name": "search", "arguments": {"query": ["capital of Australia"]}}\n');
  assert.deepEqual(calls[2]!.arguments, { code: "\nprint(1+1)\n" });
  assert.ok(calls[3]!.arguments === null && calls[3]!.arguments_error !== undefined);
  const results = resultsOf(t);
  assert.ok(results.every((r) => r.role === "tool" && r.source_role === "user" && !r.content.includes("tool_response")));
  assert.equal(results[2]!.content, "stdout:\n2");
  results.forEach((r, k) => assert.equal(r.role === "tool" && r.call_id, calls[k]!.id));
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], ["Canberra; 2", "answer_tag", "Done."]);
  assert.deepEqual([t.task.question, t.task.question_origin, t.task.ground_truth], [tongyi.question, "dataset_field", tongyi.answer]);
  assert.equal(t.outcome.exit_status, "answer");
  assert.deepEqual(t.extra, {}, "question, answer, prediction and termination are all mapped");
  assert.equal(t.domain, "search");
});

const searchO1 = {
  Question: "Which city is the capital of Australia?",
  Output:
    "<think>\nI should check. <|begin_search_query|>capital of Australia<|end_search_query|>\n\n" +
    "<|begin_search_result|>Canberra is the capital city of Australia.<|end_search_result|>\n\n" +
    "Let me open the page. <|begin_click_link|>https://en.wikipedia.org/wiki/Canberra<|end_click_link|>\n\n" +
    "<|begin_click_result|>Canberra ... federal capital<|end_click_result|>\n\nConfirmed.\n</think>\n\nThe capital is \\boxed{Canberra}.",
};

test("search-tags (Search-o1): special-marker searches and clicks inside the reasoning; \\boxed{} answer", async () => {
  const { trajectories, rejects } = await importAll([writeRows([searchO1], "o1.jsonl")]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format_version, "search-o1");
  assert.deepEqual(roles(t), ["assistant", "tool", "assistant", "tool", "assistant"]);
  assert.deepEqual(callsOf(t).map((c) => [c.name, c.arguments]), [
    ["search", { query: "capital of Australia" }],
    ["click_link", { url: "https://en.wikipedia.org/wiki/Canberra" }],
  ]);
  assert.deepEqual(resultsOf(t).map((r) => r.content), ["Canberra is the capital city of Australia.", "Canberra ... federal capital"]);
  const assistants = t.messages.filter((m) => m.role === "assistant");
  assert.deepEqual(assistants.map((m) => m.role === "assistant" && [m.reasoning, m.content]), [
    ["I should check.", null],
    ["Let me open the page.", null],
    ["Confirmed.", "The capital is \\boxed{Canberra}."],
  ]);
  assert.deepEqual([t.final.answer, t.final.kind], ["Canberra", "boxed"]);
  assert.deepEqual([t.task.question, t.task.question_origin], [searchO1.Question, "dataset_field"]);
});

test("search-tags: a reasoning block opened by the prompt, an unclosed result, and nested braces in \\boxed{}", async () => {
  const row = {
    prompt: "<|im_start|>user\nUse <search> when unsure. Question: 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n",
    response: "Work it out.\n</think>\n<search>2+2</search>\n\n<information>Doc 1(Title: Sum) The answer is \\boxed{{4}}",
  };
  const { trajectories } = await importAll([writeRows([row])]);
  const t = trajectories[0]!;
  assert.deepEqual(roles(t), ["user", "assistant", "tool"]);
  const assistant = t.messages[1]!;
  assert.ok(assistant.role === "assistant" && assistant.reasoning === "Work it out." && assistant.content === null);
  // Only the agent's unclosed result is reported, not the user prompt's mention of <search>.
  assert.deepEqual(t.warnings, [{ code: "unclosed-tag", message: "turn 1: an unclosed information tag runs to the end of the turn", field: "turns[1]", name: "information" }]);
  assert.equal(t.task.question, "2+2?");
  assert.equal(resultsOf(t)[0]!.content, "Doc 1(Title: Sum) The answer is \\boxed{{4}}");
  assert.equal(t.final.kind, "none", "a box inside a search result is not the agent's answer");

  // A prompt given as messages: the response starts inside the think block the template opened.
  const opened = { prompt: [{ role: "user", content: "Question: 2+2?" }], response: "Add them.\n</think>\n\n<answer>4</answer>" };
  const [o] = (await importAll([writeRows([opened])])).trajectories;
  assert.deepEqual(roles(o!), ["user", "assistant"]);
  assert.ok(o!.messages[1]!.role === "assistant" && o!.messages[1]!.reasoning === "Add them.");
  assert.deepEqual([o!.messages[1]!.content, o!.final.answer, o!.final.reasoning], ["<answer>4</answer>", "4", "Add them."]);
});

test("search-tags: detection claims tagged rows only; plain chat rows stay openai-chat", async () => {
  const plainChat = { messages: [{ role: "user", content: "Use <search> to look things up?" }, { role: "assistant", content: "Sure." }] };
  const files = [writeRows([tongyi]), writeRows([r1Plain]), writeRows([searchO1]), writeRows([plainChat])];
  const { trajectories } = await importAll(files);
  assert.deepEqual(trajectories.map((t) => t.source.format), ["search-tags", "search-tags", "search-tags", "openai-chat"]);
});

test("search-tags: wrong types are rejected with their path", async () => {
  const rows = [
    r1Plain,
    { ...r1Plain, response: 42 },
    { ...tongyi, messages: [...tongyi.messages.slice(0, 2), { role: "assistant", content: 5 }] },
    { ...tongyi, messages: [{ role: "robot", content: "<tool_call>{}</tool_call>" }] },
    { ...r1Plain, golden_answers: { a: 1 } },
    { ...r1Plain, score: "high" },
    { ...r1Plain, prompt: 7 },
  ];
  const { trajectories, rejects } = await importAll([writeRows(rows)], { format: "search-tags" });
  assert.deepEqual(trajectories.map((t) => t.source.locator.line), [1]);
  assert.deepEqual(rejects.map((r) => [r.locator.line, r.reason.split(":")[0]]), [
    [2, "response"],
    [3, "messages[2].content"],
    [4, "messages[0].role"],
    [5, "golden_answers"],
    [6, "score"],
    [7, "prompt"],
  ]);
});
