import assert from "node:assert/strict";
import { test } from "node:test";
import { bodyJson } from "../../src/llm/body.js";
import type { ChatMessage } from "../../src/llm/types.js";

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
};

test("a body with frozen messages serialises to JSON.stringify's bytes, request after request, as the history grows", () => {
  const messages: ChatMessage[] = [deepFreeze({ role: "system", content: "S \u2028 \"quoted\" \\ 書" }), deepFreeze({ role: "user", content: "task\n" })];
  for (let step = 0; step < 4; step++) {
    const body = { model: "m", messages: messages.slice(), max_tokens: 16, temperature: undefined, seed: step, tools: [{ type: "function" }], return_token_ids: true };
    assert.equal(bodyJson(body), JSON.stringify(body), `step ${step}`);
    messages.push(deepFreeze({ role: "assistant", content: null, tool_calls: [{ id: `c${step}`, type: "function", function: { name: "f", arguments: `{"n": ${step}}` } }] }));
    messages.push(deepFreeze({ role: "tool", tool_call_id: `c${step}`, name: "f", content: `result ${step} \u0000 🙂` }));
  }
});

test("a message that can still change is serialised again at every request: what is sent is what it holds now", () => {
  const call = { id: "c0", type: "function" as const, function: { name: "f", arguments: "{}" } };
  // frozen on the outside, not through: its call can still be edited
  const assistant: ChatMessage = Object.freeze({ role: "assistant", content: "", tool_calls: [call] });
  const plain: ChatMessage = { role: "user", content: "before" };
  const body = () => ({ model: "m", messages: [deepFreeze({ role: "system", content: "S" }), assistant, plain] });
  assert.equal(bodyJson(body()), JSON.stringify(body()));
  call.function.arguments = '{"changed": true}';
  plain.content = "after";
  const second = bodyJson(body());
  assert.equal(second, JSON.stringify(body()));
  assert.ok(second.includes('\\"changed\\": true') && second.includes('"after"'));
});

test("bodies without frozen messages are JSON.stringify's", () => {
  const body = { model: "m", messages: [{ role: "user", content: "x" }], stream: true };
  assert.equal(bodyJson(body), JSON.stringify(body));
  assert.equal(bodyJson({ model: "m", messages: [] }), JSON.stringify({ model: "m", messages: [] }));
});
