import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Template } from "@huggingface/jinja";
import { sftConversation, templateMessages } from "../../src/export/sft.js";
import { ChatTemplate } from "../../src/tokenize/chat-template.js";
import { floatRepr, stringRepr } from "../../src/tokenize/python-jinja.js";
import type { TemplateMessage } from "../../src/tokenize/types.js";
import { importAll } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";

const FLOATS = [1.5, 0.1 + 0.2, 1e16, 1e15, 123456789012345.6, 1e-5, 0.0001, 0.00012, 1.5e-7, 5e-324, 1.7976931348623157e308, -2.5e22, 100, 1e21, 3.14159];
const STRINGS = ["", "plain", "it's", 'say "hi"', `both ' and "`, "back\\slash", "tab\tnew\nret\r", "\x00\x07\x1b\x7f", "\x85\xa0\u00ad", "\u2028\u2029\u200b\ufeff", "é ü 漢字 🙂", "\u{e000}", "\u{10ffff}", "a\u0300"];

test("floatRepr and stringRepr equal Python's repr()", { skip: pythonMissing() }, () => {
  const script = "import json, sys\nd = json.load(sys.stdin)\nprint(json.dumps([[repr(float(x)) for x in d['floats']], [repr(s) for s in d['strings']]]))";
  const result = spawnSync(pythonWith()!, ["-c", script], { input: JSON.stringify({ floats: FLOATS, strings: STRINGS }), encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const [floats, strings] = JSON.parse(result.stdout) as [string[], string[]];
  assert.deepEqual(FLOATS.map(floatRepr), floats);
  assert.deepEqual(STRINGS.map(stringRepr), strings);
});

/**
 * Templates that print what real templates print: Mistral's tool template sends `tools|string` and tool
 * results through `|string`; others print `message.content` unguarded (None for a tool-calling turn),
 * concatenate with `~`, `trim` descriptions, `join` names, and ship with CRLF line ends.
 */
const TEMPLATES: Record<string, string> = {
  mistralTools:
    "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}{% if loop.last and tools %}[AVAILABLE_TOOLS]{{ tools|string }}[/AVAILABLE_TOOLS]{% endif %}[INST]{{ m.content }}[/INST]" +
    "{% elif m.role == 'assistant' %}{{ m.content|string }}{% if m.tool_calls %}[TOOL_CALLS]{{ m.tool_calls }}{% endif %}{{ eos_token }}" +
    "{% elif m.role == 'tool' %}[TOOL_RESULTS]{{ m.content|string }}[/TOOL_RESULTS]{% else %}{{ m }}{% endif %}{% endfor %}",
  values:
    "{% for m in messages %}{{ m.role ~ ': ' ~ m.content }}|{{ m.content }}|{{ m.tool_calls }}|{{ m.name ~ m.missing ~ none ~ true }}|{{ m.reasoning_content }}\n" +
    "{% if m.content is string %}{{ m.content|trim }}|{{ m.content|trim('\\n ') }}|{{ m.content.strip('\\n') }}|{{ m.content.rstrip() }}{% endif %}\n" +
    "{{ (m.tool_calls or [])|map(attribute='function')|map(attribute='name')|join(', ') }}|{{ [m.role, none, true, 1, 2.5, (1, 2)]|join(' ') }}|{{ (m.tool_calls or [])|join(attribute='id') }}\n{% endfor %}",
  tools: "{% for t in tools %}{{ t }}\n{% if t.function.parameters is defined %}{{ t.function.parameters.properties|string }}{% endif %}\n{{ t.function.description|trim }}\n{% endfor %}",
  crlf: "{% for m in messages %}\r\n<{{ m.role }}>\r\n{{ m.content }}\r{% endfor %}\r\n",
};

/** Values that print differently in Python and JavaScript, beside the real conversations. */
const TRICKY: { messages: TemplateMessage[]; tools: unknown[] } = {
  messages: [
    { role: "user", content: ` it's "quoted" \u2028\x85\u200b tab\t ` },
    { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: { n: 2.5, big: 1e-7, ok: true, none: null, list: [1, "a'b", { k: false }], text: "\x1c\u3000" } } }] } as unknown as TemplateMessage,
    { role: "tool", content: "\u3000result\x1c", name: "f", tool_call_id: "c1" } as unknown as TemplateMessage,
  ],
  tools: [{ type: "function", function: { name: "f", description: "\u00a0 spaced \ufeff", parameters: { type: "object", properties: { n: { type: "number", default: 0.5, enum: [1.5, null, false] } } } } }],
};

test("chat templates print values as jinja2 prints them (transformers' rendering), on every real conversation", { skip: SAMPLES_MISSING || pythonMissing("jinja2") }, async () => {
  const { trajectories } = await importAll([SAMPLES_DIR]);
  const conversations = [TRICKY, ...trajectories.map((t) => sftConversation(t, "assistant")).map((c) => ({ messages: templateMessages(c).slice(0, 24), tools: c.tools }))];
  const script = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = tojson
data = json.load(sys.stdin)
out = {}
for name, source in data["templates"].items():
    t = env.from_string(source)
    out[name] = [t.render(messages=c["messages"], tools=c["tools"], bos_token="<s>", eos_token="</s>") for c in data["conversations"]]
print(json.dumps(out))
`;
  const result = spawnSync(pythonWith("jinja2")!, ["-c", script], { input: JSON.stringify({ templates: TEMPLATES, conversations }), encoding: "utf8", maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr);
  const expected = JSON.parse(result.stdout) as Record<string, string[]>;
  for (const [name, source] of Object.entries(TEMPLATES)) {
    const template = new ChatTemplate(source, { bos_token: "<s>", eos_token: "</s>" }, name);
    const rendered = conversations.map((c) => template.render(c.messages, { tools: c.tools as never }));
    const differing = rendered.flatMap((text, i) => (text === expected[name]![i] ? [] : [i]));
    assert.deepEqual(differing, [], `${name}: ${differing.length} of ${conversations.length} renderings differ; first: ${JSON.stringify(rendered[differing[0]!]?.slice(0, 300))} vs ${JSON.stringify(expected[name]![differing[0]!]?.slice(0, 300))}`);
  }
  // the library's own rendering differs on most conversations: the cases this test is about occur in real data
  for (const [name, source] of Object.entries(TEMPLATES)) {
    const library = new Template(source);
    const renders = (c: (typeof conversations)[number]) => {
      try {
        return library.render({ messages: c.messages, tools: c.tools, bos_token: "<s>", eos_token: "</s>" });
      } catch {
        return undefined;
      }
    };
    const same = conversations.filter((c, i) => renders(c) === expected[name]![i]).length;
    assert.ok(same < conversations.length / 2, `${name}: the library alone renders ${same} of ${conversations.length} as jinja2 does`);
  }
});
