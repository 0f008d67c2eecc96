import assert from "node:assert/strict";
import { before, test } from "node:test";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import type { TemplateMessage, Tokenizer } from "../../src/tokenize/types.js";
import { pythonMissing } from "../helpers/python.js";
import { hfTokenizersEncoder, pythonTokenizersEncode, qwen3Config, qwen3TokenizerJsonText } from "./reference.js";

let qwen3: Tokenizer;
before(async () => {
  qwen3 = await loadQwen3();
});

const TOOLS = [
  {
    type: "function",
    function: {
      name: "add",
      description: "Add two integers (entiers, é).",
      parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] },
    },
  },
];

const CONVERSATION: TemplateMessage[] = [
  { role: "system", content: "You are a careful agent." },
  { role: "user", content: "What is 2+3? Use the calculator." },
  {
    role: "assistant",
    content: "",
    reasoning_content: "\nI should call the calculator.\n",
    tool_calls: [
      { id: "call_1", type: "function", function: { name: "add", arguments: '{"a": 2, "b": 3}' } },
      { id: "call_2", type: "function", function: { name: "add", arguments: { a: 2, b: 3 } } },
    ],
  },
  { role: "tool", tool_call_id: "call_1", content: "5" },
  { role: "tool", tool_call_id: "call_2", content: "5" },
];

// Written by reading Qwen3-0.6B's template: the system prompt joins the tools block; the assistant
// turn after the last user query shows its reasoning in <think>; string arguments are copied, object
// arguments go through tojson (Python json.dumps spacing, non-ASCII kept); consecutive tool results
// share one user turn.
const EXPECTED = `<|im_start|>system
You are a careful agent.

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{"type": "function", "function": {"name": "add", "description": "Add two integers (entiers, é).", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
<|im_start|>user
What is 2+3? Use the calculator.<|im_end|>
<|im_start|>assistant
<think>
I should call the calculator.
</think>

<tool_call>
{"name": "add", "arguments": {"a": 2, "b": 3}}
</tool_call>
<tool_call>
{"name": "add", "arguments": {"a": 2, "b": 3}}
</tool_call><|im_end|>
<|im_start|>user
<tool_response>
5
</tool_response>
<tool_response>
5
</tool_response><|im_end|>
<|im_start|>assistant
`;

test("Qwen3 chat template: system + tools, user, assistant with reasoning and two tool calls, tool results, generation prompt", () => {
  assert.equal(qwen3.applyChatTemplate(CONVERSATION, { tools: TOOLS, addGenerationPrompt: true }), EXPECTED);
});

test("Qwen3 chat template: enable_thinking=false opens the assistant turn with an empty think block", () => {
  const rendered = qwen3.applyChatTemplate(CONVERSATION, { tools: TOOLS, addGenerationPrompt: true, enableThinking: false });
  assert.equal(rendered, `${EXPECTED}<think>\n\n</think>\n\n`);
});

test("Qwen3 chat template: reasoning inside content is dropped from turns before the last user query", () => {
  const rendered = qwen3.applyChatTemplate([
    { role: "user", content: "Hi" },
    { role: "assistant", content: "<think>\nhmm\n</think>\n\nHello!" },
    { role: "user", content: "Bye" },
    { role: "assistant", content: "<think>\nwrap up\n</think>\n\nGoodbye." },
  ]);
  assert.equal(
    rendered,
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n" +
      "<|im_start|>assistant\n<think>\nwrap up\n</think>\n\nGoodbye.<|im_end|>\n",
  );
});

test("renders of a conversation's prefixes equal rendering each prefix alone, however often and in whatever order", () => {
  const conversation: TemplateMessage[] = [
    ...CONVERSATION,
    { role: "assistant", content: "<think>\nsum is 5\n</think>\n\n2+3 = 5." },
    { role: "user", content: "<tool_response>\nnot a query\n</tool_response>" },
    { role: "assistant", content: "Noted.", reasoning_content: "the user pasted a tool response" },
    { role: "user", content: "And 4+4?" },
    { role: "assistant", content: "8" },
  ];
  for (const options of [{ tools: TOOLS }, {}, { enableThinking: false, variables: { date_string: "7 Dec 2026" } }]) {
    const render = qwen3.chatTemplatePrefixes(conversation, options);
    // Longest first, then shortest: a render must not depend on the ones before it.
    const ends = [...conversation.keys()].map((k) => k + 1);
    for (const end of [...ends.toReversed(), ...ends]) {
      for (const addGenerationPrompt of [false, true]) {
        assert.equal(render(end, addGenerationPrompt), qwen3.applyChatTemplate(conversation.slice(0, end), { ...options, addGenerationPrompt }), `end ${end}, generation prompt ${addGenerationPrompt}`);
      }
    }
  }
});

test("the rendered prompt is counted exactly: same ids as @huggingface/tokenizers and Python tokenizers", () => {
  const rendered = qwen3.applyChatTemplate(CONVERSATION, { tools: TOOLS, addGenerationPrompt: true, enableThinking: false });
  const jsonText = qwen3TokenizerJsonText();
  const ids = qwen3.encode(rendered);
  assert.deepEqual(ids, hfTokenizersEncoder(jsonText, qwen3Config())(rendered));
  assert.equal(qwen3.count(rendered), ids.length);
  const { all } = qwen3.specialTokens;
  const markers = (id: number) => ids.filter((x) => x === id).length;
  assert.equal(markers(all.get("<|im_start|>")!), 5);
  assert.equal(markers(all.get("<|im_end|>")!), 4);
  assert.equal(markers(all.get("<tool_call>")!), 4); // two calls and two in the tools instruction
  assert.equal(markers(all.get("<think>")!), 2);
  if (!pythonMissing("tokenizers")) assert.deepEqual(pythonTokenizersEncode(jsonText, [rendered])![0], ids);
});
