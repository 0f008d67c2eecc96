import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Tiktoken } from "tiktoken/lite";
import { get_encoding } from "tiktoken";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { REFERENCE_CATEGORIES, referenceProperty } from "../../src/tokenize/reference-unicode.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { pythonTokenizersEncode, qwen3TokenizerJsonText } from "./reference.js";

const CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co"];
const PROPERTIES = [...CATEGORIES, "L", "M", "N", "P", "S", "Z"];

/** Every code point but the surrogates, in order. */
const ALL = (() => {
  const chars: string[] = [];
  for (let code = 0; code <= 0x10ffff; code++) if (code < 0xd800 || code > 0xdfff) chars.push(String.fromCodePoint(code));
  return chars.join("");
})();

/** tiktoken over the 256 bytes with `pattern`: it encodes only what the pattern matches, so the ids are the matched characters' bytes. */
function tiktokenMatches(pattern: string): Set<number> {
  const ranks = Array.from({ length: 256 }, (_, byte) => `${Buffer.from([byte]).toString("base64")} ${byte}`).join("\n");
  const bpe = new Tiktoken(ranks, {}, pattern);
  const matched = Buffer.from(Uint8Array.from(bpe.encode_ordinary(ALL))).toString("utf8");
  bpe.free();
  return new Set(Array.from(matched, (char) => char.codePointAt(0)!));
}

function v8Matches(source: string, flags: string): Set<number> {
  return new Set(Array.from(ALL.match(new RegExp(source, `g${flags}`)) ?? [], (char) => char.codePointAt(0)!));
}

function ranges(codes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length; ) {
    let j = i;
    while (j + 1 < codes.length && codes[j + 1] === codes[j]! + 1) j++;
    const hex = (code: number) => code.toString(16).toUpperCase();
    parts.push(j > i ? `${hex(codes[i]!)}-${hex(codes[j]!)}` : hex(codes[i]!));
    i = j + 1;
  }
  return parts.join(" ");
}

/** REFERENCE_CATEGORIES as derived now: each code point whose category in tiktoken's regex is not V8's, by tiktoken's category. */
function derivedReferenceCategories(): string {
  const reference = new Map<number, string>();
  const v8 = new Map<number, string>();
  for (const category of CATEGORIES) {
    for (const code of tiktokenMatches(`\\p{${category}}+`)) reference.set(code, category);
    for (const code of v8Matches(`\\p{${category}}`, "u")) v8.set(code, category);
  }
  const byCategory = new Map<string, number[]>();
  for (const char of ALL) {
    const code = char.codePointAt(0)!;
    const category = reference.get(code) ?? "Cn";
    if (category !== (v8.get(code) ?? "Cn")) byCategory.set(category, [...(byCategory.get(category) ?? []), code]);
  }
  return [...byCategory].sort(([a], [b]) => a.localeCompare(b)).map(([category, codes]) => `  ${category}: "${ranges(codes)}",`).join("\n");
}

const differing = (reference: Set<number>, translated: Set<number>) => [...new Set([...reference, ...translated])].filter((code) => reference.has(code) !== translated.has(code)).sort((a, b) => a - b);

test("each general category, as jsPreTokenizer reads it, has tiktoken's regex's members over every code point", () => {
  for (const property of PROPERTIES) {
    const wrong = differing(tiktokenMatches(`\\p{${property}}+`), v8Matches(referenceProperty(property)!, "v"));
    if (wrong.length > 0)
      assert.fail(
        `\\p{${property}} differs from tiktoken's at ${ranges(wrong)} (Node's Unicode ${process.versions.unicode} or tiktoken changed): ` +
          `set REFERENCE_CATEGORIES in src/tokenize/reference-unicode.ts to\n${derivedReferenceCategories()}`,
      );
  }
});

/** Strings of the code points REFERENCE_CATEGORIES lists and their neighbours, in the contexts where a piece would end otherwise. */
const PROBE_STRINGS = (() => {
  const codes = new Set<number>();
  for (const range of Object.values(REFERENCE_CATEGORIES).flatMap((list) => list.split(" "))) {
    const [first, last = first] = range.split("-").map((hex) => Number.parseInt(hex, 16)) as [number, number?];
    for (let code = first - 1; code <= last! + 1; code++) codes.add(code);
  }
  const chars = [...codes].sort((a, b) => a - b).map((code) => String.fromCodePoint(code));
  const contexts = (c: string) => [c + "\n \nBB", "a" + c + "a", "A" + c + "a", "x" + c + "X", c + "Ab", "1" + c + "1", " " + c + "x", "!" + c, c + "'s"];
  return [...chars.flatMap(contexts), ...chars.map((c, i) => c + chars[(i * 7919) % chars.length]! + " " + chars[(i * 104729) % chars.length]! + "x\n")];
})();

test("o200k_base and cl100k_base give tiktoken's ids on strings of the code points whose category V8 reads otherwise", async () => {
  const texts = PROBE_STRINGS;
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const tokenizer = await loadOpenAiEncoding(name);
    const bpe = get_encoding(name);
    for (const text of texts) assert.deepEqual(tokenizer.encode(text), Array.from(bpe.encode_ordinary(text)), `${name}: ${JSON.stringify(text)}`);
    bpe.free();
  }
});

const ONIG_MATCHES = `
import json, sys
from tokenizers import pre_tokenizers, Regex
text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
out = {}
for prop in sys.argv[1:]:
    unmatched = bytearray(len(text))
    for _, (start, end) in pre_tokenizers.Split(Regex("\\\\p{%s}+" % prop), behavior="removed").pre_tokenize_str(text):
        unmatched[start:end] = b"\\x01" * (end - start)
    out[prop] = [ord(text[i]) for i in range(len(text)) if not unmatched[i]]
print(json.dumps(out))
`;

test("Qwen3's \\p{L} and \\p{N}, as jsPreTokenizer reads them, have Python tokenizers' (Oniguruma's) members, and its ids are tokenizers' on the probe strings", { skip: pythonMissing("tokenizers") }, async () => {
  const run = spawnSync(pythonWith("tokenizers")!, ["-c", ONIG_MATCHES, "L", "N"], { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr);
  const onig = JSON.parse(run.stdout) as Record<string, number[]>;
  for (const property of ["L", "N"]) {
    const wrong = differing(new Set(onig[property]), v8Matches(referenceProperty(property)!, "v"));
    assert.equal(ranges(wrong), "", `\\p{${property}} differs from Oniguruma's in Python tokenizers`);
  }
  const texts = PROBE_STRINGS;
  const qwen3 = await loadQwen3();
  const expected = pythonTokenizersEncode(qwen3TokenizerJsonText(), texts)!;
  texts.forEach((text, i) => assert.deepEqual(qwen3.encode(text), expected[i], JSON.stringify(text)));
});
