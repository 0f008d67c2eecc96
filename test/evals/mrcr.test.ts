import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { get_encoding } from "tiktoken";
import { generateMrcr } from "../../src/evals/generate-mrcr.js";
import { gradeMrcr, type MrcrItem } from "../../src/evals/mrcr.js";
import { textFileReplies } from "../../src/evals/mrcr-text.js";
import { o200k } from "../../src/evals/tokens.js";
import { Random } from "../../src/random.js";
import { tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

const tokenizer = await o200k();

test("grading: the prefix must open the response exactly; it is stripped once from both; then the SequenceMatcher ratio", () => {
  const answer = "Ab12345678**Verse 1**\nsome lines";
  assert.deepEqual(gradeMrcr(answer, answer, "Ab12345678"), { ratio: 1, prefix_ok: true });
  assert.deepEqual(gradeMrcr(` ${answer}`, answer, "Ab12345678"), { ratio: 0, prefix_ok: false });
  assert.deepEqual(gradeMrcr(`<think>x</think>${answer}`, answer, "Ab12345678"), { ratio: 0, prefix_ok: false });
  assert.equal(gradeMrcr(answer.toLowerCase(), answer, "Ab12345678").prefix_ok, false);
  const trailing = gradeMrcr(`${answer}\nHope this helps!`, answer, "Ab12345678");
  assert.ok(trailing.ratio > 0.5 && trailing.ratio < 1);
  assert.equal(gradeMrcr("Ab12345678", answer, "Ab12345678").ratio, 0, "nothing after the prefix");
  assert.equal(gradeMrcr("Ab12345678", "Ab12345678", "Ab12345678").ratio, 1, "empty against empty");
  assert.equal(gradeMrcr("ababX", "abX", "ab").ratio, 0.5, "stripped once: 'abX' against 'X'");
  assert.equal(gradeMrcr("abX", "X", "ab").ratio, 1, "a gold without the prefix is left as it is");
});

const CARD_MRCR = `
import json, sys
from difflib import SequenceMatcher
def grade(response, answer, random_string_to_prepend):
    if not response.startswith(random_string_to_prepend):
        return 0
    response = response.removeprefix(random_string_to_prepend)
    answer = answer.removeprefix(random_string_to_prepend)
    return float(SequenceMatcher(None, response, answer).ratio())
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        print(repr(float(grade(*json.loads(line)))))
`;

test("realistic responses (right, wrong needle, cut, edited, padded) grade exactly as the card's Python grader", { skip: pythonMissing() }, () => {
  const items = [...generateMrcr({ tokenizer, seed: 3, tokens: [4000], perSize: 8, needles: [2, 4] })];
  const random = new Random(3, "mrcr-grader-parity");
  const cases: [string, string, string][] = [];
  for (const item of items) {
    const prefix = item.random_string_to_prepend;
    const replies = item.messages.filter((m) => m.role === "assistant").map((m) => m.content);
    for (const response of [
      item.answer,
      prefix + random.pick(replies),
      item.answer.slice(0, random.int(10, item.answer.length)),
      item.answer.replace(/ the /g, " a ").replace(/\n\n/, "\n"),
      `${item.answer}\n\nLet me know if you need anything else! 😀`,
      `\n${item.answer}`,
      prefix + prefix + item.answer.slice(prefix.length),
    ]) {
      cases.push([response, item.answer, prefix]);
    }
  }
  const file = join(tempDir(), "mrcr.jsonl");
  writeFileSync(file, cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
  const run = spawnSync(pythonWith()!, ["-c", CARD_MRCR, file], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const expected = run.stdout.trim().split("\n").map(Number);
  assert.deepEqual(
    cases.map(([response, answer, prefix]) => gradeMrcr(response, answer, prefix).ratio),
    expected,
  );
  assert.ok(new Set(expected).size > cases.length / 2, "scores spread out");
});

const FINAL = /^Prepend ([A-Za-z0-9]{10}) to the (\d+)(?:st|nd|rd|th) \(1 indexed\) (.+) about (.+)\. Do not include any other text in your response\.$/;

/** Checks an instance against the MRCR shape using only its own messages. */
function checkShape(item: MrcrItem, targetTokens: number, encode: (text: string) => number) {
  const { messages } = item;
  assert.ok(messages[0]!.content.startsWith("Here are some examples of conversations succeeded by a follow-up question answered correctly:\n\n======EXAMPLE======\nUser: "));
  assert.ok(messages[0]!.content.endsWith("\n\n======END EXAMPLE======\n"));
  assert.deepEqual(
    messages.map((m) => m.role),
    ["user", ...Array.from({ length: (messages.length - 2) / 2 }, () => ["user", "assistant"]).flat(), "user"],
  );
  const [, prefix, ordinal, format, topic] = FINAL.exec(messages.at(-1)!.content)!;
  const ask = `write a ${format} about ${topic}`;
  const askAt = messages.flatMap((m, i) => (i > 0 && m.role === "user" && m.content === ask ? [i] : []));
  assert.equal(askAt.length, item.n_needles, `${item.id}: the target ask occurs exactly n_needles times`);
  assert.ok(!messages[0]!.content.includes(`User: ${ask}\n`), "the preamble never uses the target ask");
  const replies = askAt.map((i) => messages[i + 1]!.content);
  assert.equal(new Set(replies).size, replies.length, "the needles have different replies");
  assert.equal(item.random_string_to_prepend, prefix);
  assert.equal(item.desired_msg_index, askAt[Number(ordinal) - 1]);
  assert.equal(item.answer, prefix + messages[item.desired_msg_index + 1]!.content);
  assert.equal(item.total_messages, messages.length);
  assert.equal(item.n_chars, messages.reduce((sum, m) => sum + [...m.content].length, 0));
  const tokens = messages.reduce((sum, m) => sum + encode(m.content), encode(item.answer));
  assert.ok(tokens <= targetTokens && tokens > targetTokens - 1200, `${item.id}: ${tokens} tokens for a target of ${targetTokens}`);
}

test("generated instances with 2, 4 and 8 needles have the MRCR shape, exact gold and fill their token target", () => {
  const encoding = get_encoding("o200k_base");
  const encode = (text: string) => encoding.encode(text, [], []).length;
  const items = [...generateMrcr({ tokenizer, seed: 9, tokens: [6000, 16384], perSize: 2 })];
  assert.deepEqual(items.map((i) => i.n_needles), [2, 2, 4, 4, 8, 8, 2, 2, 4, 4, 8, 8]);
  for (const item of items) checkShape(item, Number(/-(\d+)-\d+$/.exec(item.id)![1]), encode);
  encoding.free();
});

test("generation is reproducible by seed; too small a target is refused", () => {
  const options = { tokens: [4000], perSize: 2, needles: [4] };
  const a = [...generateMrcr({ tokenizer, seed: "s", ...options })];
  assert.deepEqual(a, [...generateMrcr({ tokenizer, seed: "s", ...options })]);
  assert.notDeepEqual(a[0]!.messages, [...generateMrcr({ tokenizer, seed: "t", ...options })][0]!.messages);
  assert.throws(() => [...generateMrcr({ tokenizer, seed: 1, tokens: [300], perSize: 1, needles: [8] })], /needs at least \d+ tokens/);
});

test("a user text source: replies are runs of its paragraphs (astral characters counted as one in n_chars)", async () => {
  const dir = tempDir();
  const paragraphs = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} 😀 ${"word ".repeat(30 + (i % 7) * 20).trim()}`);
  const file = join(dir, "source.txt");
  writeFileSync(file, `${paragraphs.join("\n\n")}\n`);
  const source = await textFileReplies(file);
  const encoding = get_encoding("o200k_base");
  const items = [...generateMrcr({ tokenizer, seed: 2, tokens: [5000], perSize: 1, source })];
  for (const item of items) {
    checkShape(item, 5000, (text) => encoding.encode(text, [], []).length);
    for (const reply of item.messages.filter((m) => m.role === "assistant")) {
      const first = Number(/^Paragraph (\d+)/.exec(reply.content)![1]);
      const count = reply.content.split("\n\n").length;
      assert.equal(reply.content, paragraphs.slice(first, first + count).join("\n\n"));
    }
  }
  encoding.free();
  writeFileSync(join(dir, "blank.txt"), "\n \n");
  await assert.rejects(textFileReplies(join(dir, "blank.txt")), /blank\.txt: no paragraphs/);
  writeFileSync(join(dir, "one.txt"), "only one paragraph");
  const one = await textFileReplies(join(dir, "one.txt"));
  assert.throws(() => [...generateMrcr({ tokenizer, seed: 1, tokens: [5000], perSize: 1, needles: [2], source: one })], /fewer than 2 distinct replies/);
});
