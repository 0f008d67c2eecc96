import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../../src/llm/types.js";
import { PromptPredictor } from "../../src/rollout/prompt.js";
import { ChatTemplateText } from "../../src/rollout/template.js";
import type { Tokenizer } from "../../src/tokenize/types.js";
import { qwen3 } from "./harness.js";

const TOOLS = [{ type: "function", function: { name: "run_sql", description: "Run a query", parameters: { type: "object", properties: { sql: { type: "string" } }, required: ["sql"] } } }];

const call = (i: number, content = ""): ChatMessage => ({ role: "assistant", content, tool_calls: [{ id: `c${i}`, type: "function", function: { name: "run_sql", arguments: `{"sql": "SELECT ${i}"}` } }] });
const result = (i: number, content: string): ChatMessage => ({ role: "tool", tool_call_id: `c${i}`, name: "run_sql", content });

for (const thinking of [undefined, false] as const) {
  test(`predicted prompts equal whole renders of the conversation, step after step and after a dropped turn (enable_thinking ${thinking}); only the first is rendered whole when the template extends prompts`, async () => {
    const tokenizer = await qwen3();
    const options = { tools: TOOLS, ...(thinking !== undefined ? { enableThinking: thinking } : {}) };
    const text = new ChatTemplateText(tokenizer, options);
    assert.equal(text.appendOnly, thinking === undefined, "Qwen3 without thinking writes no empty think block in history, so prompts do not extend");
    const whole = (view: ChatMessage[]) => tokenizer.encode(tokenizer.applyChatTemplate(view, { ...options, addGenerationPrompt: true }));
    const predictor = new PromptPredictor(text, tokenizer);
    let rendered = 0;
    const prompt = text.prompt.bind(text);
    text.prompt = (messages) => {
      rendered++;
      return prompt(messages);
    };

    const view: ChatMessage[] = [
      { role: "system", content: "You answer questions about a database." },
      { role: "user", content: "How many books are there? Answer with a number." },
    ];
    let ids = predictor.predict(view);
    assert.deepEqual(ids, whole(view));
    const observations = ["n\n10\n(1 row)", "  leading spaces\n\ttab\n", "<|im_end|> inside a result", "ünïcödé 書 🙂\n"];
    for (let i = 0; i < observations.length; i++) {
      const assistant = call(i, i === 1 ? "Checking again." : "");
      predictor.settle({ view, promptIds: ids, completionIds: tokenizer.encode(text.assistantTurn(assistant)), assistant });
      view.push(assistant, result(i, observations[i]!));
      ids = predictor.predict(view);
      assert.deepEqual(ids, whole(view), `after step ${i}`);
    }
    // SUPO: the last pair is dropped and the summary request follows the remaining conversation
    const assistant = call(9);
    predictor.settle({ view, promptIds: ids, completionIds: tokenizer.encode(text.assistantTurn(assistant)), assistant });
    const summary = [...view, { role: "user" as const, content: "Summarize inside <summary></summary>." }];
    assert.deepEqual(predictor.predict(summary), whole(summary));
    assert.equal(rendered, thinking === undefined ? 0 : observations.length + 2, "prompts are predicted from the system message's ids and the appended text only");
  });
}

test("a segment's first prompt (the system message's remembered ids, then the task's) equals the whole render for every task and system message, with text the template looks at", async () => {
  const tokenizer = await qwen3();
  const options = { tools: TOOLS };
  const text = new ChatTemplateText(tokenizer, options);
  const whole = (view: ChatMessage[]) => tokenizer.encode(tokenizer.applyChatTemplate(view, { ...options, addGenerationPrompt: true }));
  const systems = ["You answer questions about a database.", "  other system prompt\n<|im_end|>\n", "ünïcödé 書"];
  const tasks = ["How many books?", "<tool_response>\nlooks like a tool result\n</tool_response>", "\n\nleading newlines", "Task 3: x\n\nWe are in the following stage of solving the problem:\nsummary 🙂"];
  for (const system of systems) {
    for (const task of tasks) {
      const view: ChatMessage[] = [
        { role: "system", content: system },
        { role: "user", content: task },
      ];
      assert.deepEqual(new PromptPredictor(text, tokenizer).predict(view), whole(view), `${JSON.stringify(system)} then ${JSON.stringify(task)}`);
    }
  }
});

test("a template whose system turn changes when more messages follow is rendered whole at a segment's start, and stays exact", async () => {
  const tokenizer = await qwen3();
  const changing: Tokenizer = Object.create(tokenizer);
  changing.applyChatTemplate = (messages, options) =>
    tokenizer.applyChatTemplate(messages.length > 1 ? messages.map((m) => (m.role === "system" ? { ...m, content: `${String(m.content)} (${messages.length} messages)` } : m)) : messages, options);
  const text = new ChatTemplateText(changing, {});
  const view: ChatMessage[] = [
    { role: "system", content: "S" },
    { role: "user", content: "task" },
  ];
  assert.equal(text.head(view), undefined);
  assert.deepEqual(new PromptPredictor(text, tokenizer).predict(view), tokenizer.encode(changing.applyChatTemplate(view, { addGenerationPrompt: true })));
});

test("a template that does not copy a field verbatim (here it trims tool results) is rendered in full for that shape, not filled in", async () => {
  const tokenizer = await qwen3();
  const trimming: Tokenizer = Object.create(tokenizer);
  trimming.applyChatTemplate = (messages, options) =>
    tokenizer.applyChatTemplate(messages.map((m) => (m.role === "tool" ? { ...m, content: String(m.content).trim() } : m)), options);
  const text = new ChatTemplateText(trimming, {});
  const context: ChatMessage[] = [{ role: "user", content: "q" }, call(0)];
  const added = [result(0, "  padded  ")];
  const appended = text.appended(context, added);
  assert.ok(trimming.applyChatTemplate([...context, ...added], { addGenerationPrompt: true }).endsWith(appended));
  assert.ok(appended.includes("<tool_response>\npadded\n</tool_response>"), "the template's own trimming, not the raw content");
});
