import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ChatTemplate } from "../../src/tokenize/chat-template.js";
import { pythonStrip } from "../../src/tokenize/python-strip.js";
import { QWEN3_DIR } from "../../src/tokenize/qwen3.js";
import type { TemplateMessage } from "../../src/tokenize/types.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

const SIDES = ["strip", "lstrip", "rstrip"] as const;
const TEXTS = ["", "\n", "  \n a b \n  ", "\n\n  indented\n\n", "\t\u00a0\u3000x\u2029\x1c", "\ufeffbom\ufeff", "🙂x🙂", "xyx-abc-yxy"];
const CHARS = [undefined, null, "\n", " \n", "xy", "🙂", ""];

test("pythonStrip equals Python's str.strip, lstrip and rstrip (whitespace as str.isspace counts it, or any of the given characters)", { skip: pythonMissing() }, () => {
  const cases = SIDES.flatMap((side) => TEXTS.flatMap((text) => CHARS.map((chars) => ({ side, text, chars }))));
  const script = "import json, sys\nprint(json.dumps([getattr(c['text'], c['side'])(c.get('chars')) for c in json.load(sys.stdin)]))";
  const result = spawnSync(pythonWith()!, ["-c", script], { input: JSON.stringify(cases), encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const expected = JSON.parse(result.stdout) as string[];
  assert.deepEqual(
    cases.map((c) => pythonStrip(c.side, c.text, c.chars)),
    expected,
  );
  // the cases tell the sides and the character sets apart
  assert.ok(new Set(expected).size > 20, `${new Set(expected).size} distinct results`);
});

/** Reasoning and answers with spaces at their edges, given apart or inside <think> tags. */
const SPACED: TemplateMessage[] = [
  { role: "user", content: "  q1  " },
  { role: "assistant", content: "<think>\n  indented thought \n</think>\n\n  indented answer  " },
  { role: "user", content: "q2" },
  { role: "assistant", content: "\n  code block\n", reasoning_content: "\n  plan:\n  - step\n\n" },
  { role: "assistant", content: " \n tail", reasoning_content: "  spaced  " },
];

test("Qwen3's template renders spaces at the edges of reasoning and answers as transformers does (jinja2 with Python's string methods)", { skip: pythonMissing("jinja2") }, () => {
  const template = JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")).chat_template as string;
  const chat = new ChatTemplate(template, { eos_token: "<|im_end|>" }, "qwen3");
  const conversations = SPACED.map((_, i) => SPACED.slice(0, i + 1));
  const script = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
data = json.load(sys.stdin)
t = env.from_string(data["template"])
print(json.dumps([t.render(messages=m, add_generation_prompt=False) for m in data["conversations"]]))
`;
  const result = spawnSync(pythonWith("jinja2")!, ["-c", script], { input: JSON.stringify({ template, conversations }), encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const rendered = conversations.map((messages) => chat.render(messages));
  assert.deepEqual(rendered, JSON.parse(result.stdout));
  // the spaces that @huggingface/jinja's own strip removed are there
  assert.match(rendered.at(-1)!, /<think>\n {2}spaced {2}\n<\/think>\n\n \n tail/);
});
