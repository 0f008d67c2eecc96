import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type PackOptions, packSample } from "../../src/compile/pack.js";
import { blockBody, blockHeader } from "../../src/compile/render.js";
import { promptTokenizer } from "../../src/compile/tokenizer.js";
import { Random } from "../../src/random.js";
import type { EvidencePiece } from "../../src/records/sample.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";

const qwen = await resolveTokenizer("qwen3");
const o200k = await resolveTokenizer("o200k_base");

const nasty = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\uFEFF}", " \u0338x", ">\u0338", "<|im_end|>", "<think>\n", "\n\n\n", "   \t  ", "x = 1;\n\n", "日本語のテキスト", "🙂🙂", "\u200b\u200d", "é", "e\u0301", "</document>", "...\n", "'s 've"),
);
const pieceText = fc.array(nasty, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(""));

function piece(i: number, text: string, role: EvidencePiece["role"]): EvidencePiece {
  return { id: `p${i}`, kind: "page", source: `https://example.org/${i}?q="x"`, text, role, origins: [{ trajectory_id: "t" }] };
}

function options(seed: number, tokens: number): PackOptions {
  return {
    question: "What is the answer?",
    position: (["before", "after", "both"] as const)[seed % 3]!,
    distribution: { kind: "fixed", tokens },
    distractors: true,
    splitOversize: false,
    random: { length: new Random(seed, "l"), choice: new Random(seed, "c"), order: new Random(seed, "o") },
  };
}

for (const tokenizer of [qwen, o200k]) {
  test(`packing (${tokenizer.name}): the counted prompt equals the real tokenizer's count of the rendered prompt, spans included, and never passes the budget`, () => {
    const prompt = promptTokenizer(tokenizer);
    fc.assert(
      fc.property(fc.array(pieceText, { minLength: 1, maxLength: 12 }), fc.nat(1000), fc.integer({ min: 150, max: 900 }), (texts, seed, budget) => {
        const pieces = texts
          .map((t, i) => piece(i, t, i === 0 ? "evidence" : i % 3 === 0 ? "context" : "distractor"))
          .filter((p) => p.text.trim() !== "");
        if (!pieces.some((p) => p.role === "evidence")) return;
        const result = packSample(pieces, [], prompt, options(seed, budget));
        if (!result.ok) {
          assert.equal(result.reason, "evidence-over-budget");
          return;
        }
        const [before, after] = prompt.userTurnFrame;
        const ids = tokenizer.encode(before + result.userContent + after);
        assert.equal(result.promptTokens, ids.length);
        assert.ok(result.promptTokens <= result.targetTokens && result.targetTokens === budget);
        result.placed.forEach((placed, i) => {
          const text = tokenizer.decode(ids.slice(placed.token_start, placed.token_end));
          // Qwen's normaliser is NFC, so its decoded text is the NFC form of what was rendered.
          assert.equal(text.normalize("NFC"), (blockHeader(i + 1, placed.piece.source) + blockBody(placed.piece.text)).normalize("NFC"));
        });
      }),
      { numRuns: 400, seed: 11 },
    );
  });
}

test("packing: all evidence or nothing; distractors fill up to the target and no further; --no-distractors leaves them out", () => {
  const prompt = promptTokenizer(qwen);
  const evidence = piece(0, "The capital of Freedonia is Fredville.", "evidence");
  const distractors = Array.from({ length: 50 }, (_, i) => piece(i + 1, `Unrelated fact number ${i}: ${"filler ".repeat(20)}`, "distractor"));
  const full = packSample([evidence, ...distractors], [], prompt, options(1, 600));
  assert.ok(full.ok);
  assert.ok(full.placed.some((p) => p.piece.id === "p0"));
  const used = full.placed.filter((p) => p.piece.role === "distractor").length;
  assert.ok(used > 0 && used < 50, `${used} distractors`);
  const oneMore = distractors.find((d) => !full.placed.some((p) => p.piece.id === d.id))!;
  assert.ok(full.promptTokens + qwen.count(blockHeader(used + 2, oneMore.source) + blockBody(oneMore.text)) > 600, "filled as far as the next piece allows");
  const bare = packSample([evidence, ...distractors], [], prompt, { ...options(1, 600), distractors: false });
  assert.ok(bare.ok && bare.placed.length === 1);
  const tooSmall = packSample([evidence], [], prompt, options(1, 20));
  assert.deepEqual(tooSmall, { ok: false, reason: "evidence-over-budget" });
});

test("packing: --split-oversize keeps the leading lines of an evidence piece that could never fit, and says how many were cut", () => {
  const prompt = promptTokenizer(qwen);
  const long = piece(0, Array.from({ length: 400 }, (_, i) => `line ${i}: some words here`).join("\n"), "evidence");
  assert.deepEqual(packSample([long], [], prompt, options(2, 500)), { ok: false, reason: "evidence-over-budget" });
  const cut = packSample([long], [], prompt, { ...options(2, 500), splitOversize: true });
  assert.ok(cut.ok);
  assert.ok(cut.promptTokens <= 500);
  assert.equal(cut.split.length, 1);
  const kept = cut.placed[0]!.piece.text.split("\n");
  assert.equal(kept[0], "line 0: some words here");
  assert.equal(kept.length + cut.split[0]!.dropped_lines, 400);
});

test("packing: the order of pieces is a seeded permutation: same seed same order, another seed another order", () => {
  const prompt = promptTokenizer(qwen);
  const pieces = Array.from({ length: 12 }, (_, i) => piece(i, `fact ${i}`, i < 4 ? "evidence" : "distractor"));
  const order = (seed: number) => {
    const r = packSample(pieces, [], prompt, options(seed, 100_000));
    return r.ok ? r.placed.map((p) => p.piece.id).join(",") : "";
  };
  assert.equal(order(3), order(3));
  assert.notEqual(order(3), order(6));
});
