import assert from "node:assert/strict";
import { before, test } from "node:test";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { Qwen3Turns } from "../../src/tokenize/qwen3-turns.js";
import type { TemplateMessage, Tokenizer } from "../../src/tokenize/types.js";

let qwen3: Tokenizer;
before(async () => {
  qwen3 = await loadQwen3();
});

const TOOLS = [{ type: "function", function: { name: "add", parameters: { type: "object", properties: { a: { type: "integer" } } } } }];
const call = (id: string, args: string) => ({ id, type: "function", function: { name: "add", arguments: args } });

/** Conversations that reach every rule of the template: where each rendering of a prefix is, or is not, the start of a longer one. */
const CONVERSATIONS: TemplateMessage[][] = [
  [
    { role: "system", content: "You are careful." },
    { role: "user", content: "2+3?" },
    { role: "assistant", content: "", reasoning_content: "\ncall it\n", tool_calls: [call("a", '{"a": 2}'), call("b", '{"a": 3}')] },
    { role: "tool", content: "5" },
    { role: "tool", content: "5" },
    { role: "assistant", content: "<think>\nsum is 5\n</think>\n\n  2+3 = 5." },
    { role: "user", content: "<tool_response>\nnot a query\n</tool_response>" },
    { role: "assistant", content: "Noted.", reasoning_content: "pasted" },
    { role: "assistant", content: "Twice.", reasoning_content: "" },
    { role: "assistant", content: "Thrice." },
    { role: "user", content: "And 4+4?" },
    { role: "assistant", content: "\n\n8", reasoning_content: "  easy  " },
    { role: "system", content: "Later instructions." },
    { role: "assistant", content: "ok", tool_calls: [call("c", "{}")] },
    { role: "tool", content: "done" },
  ],
  [
    { role: "assistant", content: "I start." },
    { role: "user", content: "Go on." },
    { role: "assistant", content: "", reasoning_content: "r1" },
    { role: "user", content: "Again." },
    { role: "assistant", content: "x", reasoning_content: "r2" },
  ],
  [
    { role: "user", content: "q" },
    { role: "tool", content: "first" },
    { role: "assistant", content: "</think>after", tool_calls: [call("d", "[1]")] },
  ],
  // spaces at the edges of reasoning and answers: the template strips newlines only (Python's strip('\n'))
  [
    { role: "user", content: "q" },
    { role: "assistant", content: "<think>\n  spaced thought  \n</think>\n  answer" },
    { role: "user", content: "q2" },
    { role: "assistant", content: "<think> a </think> b", tool_calls: [call("e", "{}")] },
    { role: "tool", content: "x" },
    { role: "assistant", content: " \n c", reasoning_content: "\n  d  \n" },
  ],
];

test("Qwen3's turn starts read by the template's rules equal rendering each prefix, wherever the template is or is not append-only", () => {
  let placed = 0;
  let refused = 0;
  for (const messages of CONVERSATIONS) {
    for (const options of [{ tools: TOOLS }, {}]) {
      const prefixes = qwen3.chatTemplatePrefixes(messages, options);
      const turns = qwen3.chatTemplateTurns(messages, options);
      const rules = new Qwen3Turns(messages, (end) => prefixes(end, false));
      for (let end = 1; end <= messages.length; end++) {
        const text = prefixes(end, false);
        assert.equal(turns.render(end), text);
        for (let i = 1; i < end; i++) {
          const prefix = prefixes(i, true);
          const expected = text.startsWith(prefix) ? prefix.length : undefined;
          assert.equal(turns.turnStart(end, i), expected, `end ${end}, message ${i}`);
          // The rules answer themselves (no prefix rendered) for every message of these conversations.
          assert.equal(rules.turnStart(end, i), expected ?? false, `rules: end ${end}, message ${i}`);
          if (expected === undefined) refused++;
          else placed++;
        }
      }
    }
  }
  // Both answers are reached often: the comparison would not pass with a constant.
  assert.ok(placed > 50 && refused > 20, `${placed} placed, ${refused} refused`);
});

test("Qwen3's rules step aside for what they do not read: arguments that are not text, and a turn with no message before it", () => {
  const messages: TemplateMessage[] = [
    { role: "user", content: "q" },
    { role: "assistant", content: "", tool_calls: [{ function: { name: "add", arguments: { a: 1 } } }] },
    { role: "tool", content: "1" },
    { role: "assistant", content: "done" },
  ];
  const prefixes = qwen3.chatTemplatePrefixes(messages);
  const rules = new Qwen3Turns(messages, (end) => prefixes(end, false));
  assert.equal(rules.turnStart(4, 3), undefined);
  assert.equal(rules.turnStart(4, 0), undefined);
  // The tokenizer's answer then comes from rendering the prefix, and is still right.
  assert.equal(qwen3.chatTemplateTurns(messages).turnStart(4, 3), prefixes(3, true).length);
});
