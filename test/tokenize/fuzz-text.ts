import { Random } from "../../src/random.js";

/**
 * Varied strings for tokenizer conformance, from a named seeded generator: each is a few fragments of
 * code, prose, CJK, emoji, BOM / zero-width / combining characters, whitespace runs, digits,
 * contractions and chat special tokens, so that fragment boundaries land everywhere.
 */
export function fuzzStrings(count: number, seed: number, maxFragments = 6): string[] {
  const random = new Random(seed, "tokenize-fuzz");
  return Array.from({ length: count }, () => {
    let text = "";
    const fragments = random.int(1, maxFragments);
    for (let i = 0; i < fragments; i++) text += random.pick(FRAGMENTS)(random);
    return text;
  });
}

const SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"];
const NEAR_SPECIALS = ["<|im_start", "im_end|>", "<think", "think>", "</ think>", "<|im_start|", "<<think>>", "<tool_call/>", "<|"];
const CODE = [
  "def f(x):\n    return x ** 2\n",
  "for (let i = 0; i < n; i++) {\n\tsum += a[i];\n}\n",
  "if err != nil { return fmt.Errorf(\"open %s: %w\", path, err) }",
  "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
  "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
  "  File \"/app/main.py\", line 12, in <module>\n    raise ValueError('bad')\n",
  "$ ls -la /tmp && echo $?\r\n",
  "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
  "diff --git a/x.py b/x.py\n@@ -1,3 +1,4 @@\n-old\n+new\n",
];
const PROSE = ["The quick brown fox", " jumps over", " the lazy dog.", "HELLO World", "naïve café", "Ünïcödé", " résumé", "straße", "ǅemal", "İstanbul"];
const CJK = ["你好，世界", "日本語のテキスト", "한국어 문장", "漢字かなカナ", "中文标点：「引号」。", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ", "\u1100\u1161\u11a8", "ｶﾀｶﾅ"];
const SCRIPTS = ["Привет мир", "Γειά σου", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีครับ", "Xin chào", "ሰላም"];
const EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵", "❤️", "🧑🏿‍💻", "1️⃣", "🫠"];
const INVISIBLE = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u202e", "\u0000", "\u0007", "\u001b[31m"];
const COMBINING = ["\u0301", "\u0308", "\u0338", "\u0327", "\u20dd", "\u0300\u0301", "\u093c", "\u3099"];
const WHITESPACE = [" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u0085", "\u2028", "\u2009", "\u000b", "\u000c"];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re", " don't", " I'M", " it’s"];

type Fragment = (random: Random) => string;

const FRAGMENTS: Fragment[] = [
  (r) => r.pick(SPECIALS),
  (r) => r.pick(SPECIALS) + r.pick(COMBINING),
  (r) => r.pick(NEAR_SPECIALS),
  (r) => r.pick(CODE),
  (r) => r.pick(PROSE),
  (r) => r.pick(CJK),
  (r) => r.pick(SCRIPTS),
  (r) => r.pick(EMOJI),
  (r) => r.pick(INVISIBLE),
  (r) => r.pick(["a", "e", "n", "o", ">", "A", "字", " "]) + r.pick(COMBINING),
  (r) => Array.from({ length: r.int(1, 40) }, () => r.pick(WHITESPACE)).join(""),
  (r) => " ".repeat(r.int(1, 200)),
  (r) => "\n".repeat(r.int(1, 12)) + " ".repeat(r.int(0, 16)),
  (r) => String(r.nextUint32()) + (r.next() < 0.5 ? `.${r.int(0, 999999)}` : ""),
  (r) => r.pick(CONTRACTIONS),
  (r) => Array.from({ length: r.int(1, 12) }, () => randomCodePoint(r)).join(""),
  (r) => r.pick(["...", "!!!", "---", "***", "===", "->", "=>", "::", "&&", "||", "/*", "*/", "//", "#", "@", "%", "~~~"]),
];

/** A code point from a spread of blocks (Latin to CJK extension B, private use; no surrogates). */
function randomCodePoint(r: Random): string {
  const ranges: [number, number][] = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x1fff], [0x2000, 0x2bff], [0x3000, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xfffd], [0x10000, 0x1faff], [0x20000, 0x2a6df]];
  const [low, high] = r.pick(ranges);
  return String.fromCodePoint(r.int(low, high));
}
