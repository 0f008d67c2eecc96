import assert from "node:assert/strict";
import { before, test } from "node:test";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import type { Tokenizer } from "../../src/tokenize/types.js";
import { pythonMissing } from "../helpers/python.js";
import { fuzzStrings } from "./fuzz-text.js";
import { hfTokenizersEncoder, pythonTokenizersEncode, qwen3Config, qwen3TokenizerJsonText } from "./reference.js";

const STRINGS = fuzzStrings(10_000, 20251122);
const PYTHON_SUBSET = STRINGS.filter((_, i) => i % 4 === 0);

let qwen3: Tokenizer;
let jsonText: string;
let reference: (text: string) => number[];
before(async () => {
  qwen3 = await loadQwen3();
  jsonText = qwen3TokenizerJsonText();
  reference = hfTokenizersEncoder(jsonText, qwen3Config());
});

function firstMismatch(texts: readonly string[], actual: (text: string, i: number) => number[], expected: (text: string, i: number) => number[]) {
  let mismatches = 0;
  let first: { text: string; actual: number[]; expected: number[] } | undefined;
  texts.forEach((text, i) => {
    const a = actual(text, i);
    const e = expected(text, i);
    if (a.length !== e.length || a.some((id, k) => id !== e[k])) {
      mismatches++;
      first ??= { text, actual: a, expected: e };
    }
  });
  return { mismatches, first };
}

test("the fuzz set covers what it claims: BOM, zero-width, combining marks, CJK, emoji, specials, long whitespace", () => {
  const has = (pattern: RegExp) => STRINGS.filter((s) => pattern.test(s)).length;
  assert.equal(STRINGS.length, 10_000);
  for (const pattern of [/\ufeff/, /\u200b|\u200d/, /\p{M}/u, /\p{Script=Han}/u, /\p{Extended_Pictographic}/u, /<\|im_start\|>/, /<think>/, /<tool_call>/, / {100}/, /\d{5}/, /'ll/]) {
    assert.ok(has(pattern) >= 50, `fewer than 50 strings match ${pattern}`);
  }
  assert.ok(STRINGS.filter((s) => s !== s.normalize("NFC")).length >= 100, "too few strings that NFC changes");
});

test("Qwen3 (tiktoken + converted ranks) gives the same ids as @huggingface/tokenizers on 10,000 fuzz strings", () => {
  assert.equal(qwen3.info.backend, "tiktoken-ranks");
  const { mismatches, first } = firstMismatch(STRINGS, (s) => qwen3.encode(s), reference);
  assert.equal(mismatches, 0, `first mismatch: ${JSON.stringify(first)}`);
  assert.ok(STRINGS.every((s) => qwen3.count(s) === qwen3.encode(s).length));
});

test("Qwen3 gives the same ids as Python tokenizers (Rust) on 2,500 of the fuzz strings", { skip: pythonMissing("tokenizers") }, () => {
  const reference = pythonTokenizersEncode(jsonText, PYTHON_SUBSET)!;
  const { mismatches, first } = firstMismatch(PYTHON_SUBSET, (s) => qwen3.encode(s), (_, i) => reference[i]!);
  assert.equal(mismatches, 0, `first mismatch: ${JSON.stringify(first)}`);
});

test("added tokens are matched before NFC: <think> + U+0338 stays <think>, then the mark alone", () => {
  const think = qwen3.specialTokens.all.get("<think>")!;
  const ids = qwen3.encode("<think>\u0338 x");
  assert.equal(ids[0], think);
  assert.equal(qwen3.decode(ids.slice(1)), "\u0338 x");
  assert.deepEqual(ids, reference("<think>\u0338 x"));
  // NFC of the whole string would have composed '>' + U+0338 into U+226F and lost the token.
  assert.ok(!qwen3.encode("<think>\u0338".normalize("NFC")).includes(think));
});

test("decode(encode(s)) is s with each run between added tokens NFC-normalised (s itself when s is NFC)", () => {
  const added = [...qwen3.specialTokens.all.keys()].sort((a, b) => b.length - a.length);
  const splitter = new RegExp(`(${added.map((t) => t.replace(/[|()[\]\\/.*+?^${}-]/g, "\\$&")).join("|")})`, "u");
  let changed = 0;
  for (const s of STRINGS) {
    const expected = s
      .split(splitter)
      .map((part, i) => (i % 2 === 1 ? part : part.normalize("NFC")))
      .join("");
    assert.equal(qwen3.decode(qwen3.encode(s)), expected, JSON.stringify(s));
    if (expected !== s) changed++;
  }
  // Both kinds are exercised: strings that come back verbatim and strings NFC changes.
  assert.ok(changed >= 100 && STRINGS.length - changed >= 5_000, `${changed} of ${STRINGS.length} strings change under NFC`);
});

test("special tokens: ids and strings from the bundled files; unknown ids are refused by decode", () => {
  const { all, eos, pad, bos } = qwen3.specialTokens;
  const added = (JSON.parse(jsonText) as { added_tokens: { content: string; id: number }[] }).added_tokens;
  assert.equal(all.size, added.length);
  for (const token of added) assert.equal(all.get(token.content), token.id);
  assert.deepEqual(eos, { text: "<|im_end|>", id: all.get("<|im_end|>") });
  assert.deepEqual(pad, { text: "<|endoftext|>", id: all.get("<|endoftext|>") });
  assert.equal(bos, undefined);
  assert.equal(qwen3.decode([all.get("<|im_start|>")!]), "<|im_start|>");
  assert.throws(() => qwen3.decode([1, 10_000_000]), /qwen3: token id 10000000 is not in the vocabulary/);
  assert.throws(() => qwen3.decode([-1]), /token id -1/);
});

test("a lone surrogate counts as U+FFFD, in both implementations", () => {
  for (const [broken, replaced] of [["a\ud800b", "a\ufffdb"], ["\udc00", "\ufffd"], ["x\ud83d", "x\ufffd"]] as const) {
    assert.deepEqual(qwen3.encode(broken), qwen3.encode(replaced));
    assert.deepEqual(reference(broken), qwen3.encode(replaced));
  }
});
