import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parquetWriteFile } from "hyparquet-writer";
import { generateGraphwalks } from "../../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../../src/evals/graphwalks.js";
import { mrcrEval } from "../../src/evals/mrcr.js";
import { o200k } from "../../src/evals/tokens.js";
import { type ContaminationRecord, type DecontaminateReport, decontaminate } from "../../src/privacy/decontaminate.js";
import { NgramSetBuilder } from "../../src/privacy/ngram-set.js";
import { forEachNgram } from "../../src/privacy/ngrams.js";
import { Random } from "../../src/random.js";
import { Sample } from "../../src/records/sample.js";
import { runCli, tempDir } from "../helpers/collect.js";

const hashes = (text: string, n: number) => {
  const out: string[] = [];
  forEachNgram(text, n, (hi, lo) => out.push(`${hi}:${lo}`));
  return out;
};

test("n-grams are of normalised words: case, punctuation and spacing do not matter, order and words do", () => {
  const a = "The quick brown fox — jumps over the lazy dog!";
  assert.deepEqual(hashes(a, 3), hashes("the QUICK, brown\n\nfox jumps... over THE lazy dog", 3));
  assert.equal(hashes(a, 3).length, 9 - 3 + 1);
  assert.equal(hashes(a, 9).length, 1);
  assert.equal(hashes(a, 10).length, 0);
  assert.notDeepEqual(hashes(a, 3), hashes("The quick brown fox jumps over the lazy cat", 3));
  assert.notDeepEqual(hashes("a b c", 3), hashes("c b a", 3));
  assert.deepEqual(hashes("Élan vital über ALLES", 2), hashes("élan Vital ÜBER alles", 2));
  assert.equal(hashes("東京は大きい", 3).length, 6 - 3 + 1, "each Han and kana character is a word");
  const distinct = new Set(hashes(Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(" "), 13));
  assert.equal(distinct.size, 20_000 - 12, "no collisions among 20k distinct 13-grams");
});

test("normalisation sees through Unicode: NFC/NFD accents, fullwidth and styled letters, ligatures, case folding, zero-width characters and soft hyphens", () => {
  const plain = "the naive cafe owner filed a strasse complaint about contamination";
  const variants = [
    "The naïve café owner filed a Straße complaint about contamination", // NFC
    "The nai\u0308ve cafe\u0301 owner filed a STRASSE complaint about contamination".normalize("NFD"), // NFD
    "ＴＨＥ ｎａｉｖｅ ｃａｆｅ owner ﬁled a strasse complaint about contamination", // fullwidth, ligature
    "the naive cafe 𝐨𝐰𝐧𝐞𝐫 filed a strasse complaint about conta\u00admi\u200bna\u200dtion\ufeff", // styled, soft hyphen, zero-width
  ];
  for (const variant of variants) assert.deepEqual(hashes(variant, 5), hashes(plain, 5), variant);
  assert.notDeepEqual(hashes("the naive cafe owner filed", 5), hashes("the naive cafe owner fired", 5));
  // A zero-width space joins, a real space separates: "conta mination" is two words.
  assert.notDeepEqual(hashes("about conta mination", 2), hashes("about contamination", 2));
});

test("the n-gram set holds every distinct pair once, finds them all, and nothing else (through several compactions)", () => {
  const random = new Random(1, "ngram-set");
  const builder = new NgramSetBuilder();
  const inserted = new Map<string, [number, number]>();
  const added: [number, number][] = [];
  for (let i = 0; i < 800_000; i++) {
    // Every third pair repeats an earlier one; hi values cluster in a few buckets to test the bucket edges.
    const pair: [number, number] =
      i % 3 === 2 ? added[random.int(0, added.length - 1)]! : [random.int(0, 3) * 0x40000000 + random.int(0, 0xffff), random.nextUint32()];
    added.push(pair);
    inserted.set(`${pair[0]}:${pair[1]}`, pair);
    builder.add(pair[0], pair[1]);
  }
  const set = builder.build();
  assert.equal(set.size, inserted.size);
  // 8 bytes per distinct n-gram, at most 2 for the filter, and the bucket table.
  assert.ok(set.bytes <= inserted.size * 10 + 65537 * 4 + 128, `${set.bytes} bytes`);
  for (const [hi, lo] of inserted.values()) assert.ok(set.has(hi, lo));
  let falseHits = 0;
  for (let i = 0; i < 200_000; i++) {
    const hi = random.nextUint32();
    const lo = random.nextUint32();
    if (!inserted.has(`${hi}:${lo}`) && set.has(hi, lo)) falseHits++;
  }
  assert.equal(falseHits, 0);
});

/** A valid acc.sample whose user message is `text`. */
function sample(id: string, text: string): Sample {
  return Sample.parse({
    schema: "acc.sample",
    schema_version: "1.0.0",
    id,
    messages: [
      { role: "user", content: text },
      { role: "assistant", content: "The answer.", reasoning: null },
    ],
    target: { answer: "The answer.", reasoning: null, answer_origin: "agent_final", reasoning_origin: "none" },
    meta: {
      trajectory_id: `t-${id}`,
      domain: "search",
      seed: 0,
      tokenizer: "qwen3",
      target_tokens: 4000,
      prompt_tokens: 100,
      evidence_count: 1,
      context_count: 0,
      distractor_count: 0,
      pool_distractor_count: 0,
      question_position: "after",
      split_pieces: [],
      pieces: [],
      task: { question: "Q?", ground_truth: null },
    },
  });
}

/** `words` consecutive words of `text` from a random word, with the text's own punctuation and spacing. */
function excerpt(random: Random, text: string, words: number): string {
  const spans = [...text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)].map((m) => [m.index, m.index + m[0].length] as const);
  const first = random.int(0, spans.length - words);
  return text.slice(spans[first]![0], spans[first + words - 1]![1]);
}

const filler = (random: Random, words: number) => Array.from({ length: words }, () => `q${random.int(0, 1e9).toString(36)}`).join(" ");

interface Fixture {
  dir: string;
  samplesPath: string;
  lines: string[];
  against: string[];
  /** Per sample line (1-based): the eval set planted and the n-grams it must match. */
  planted: Map<number, { set: string; ngrams: number }>;
}

async function fixture(): Promise<Fixture> {
  const dir = tempDir();
  const random = new Random(5, "decontaminate-test");
  const mrcr = mrcrEval();
  const mrcrItems = [...generateMrcr({ tokenizer: await o200k(), seed: 9, tokens: [3000], perSize: 3, needles: [2] })];
  const mrcrPath = join(dir, "mrcr.jsonl");
  writeFileSync(mrcrPath, `${mrcrItems.map((item) => JSON.stringify(mrcr.toRow(item))).join("\n")}\n`);

  const graphwalks = graphwalksEval();
  const gwItems = [...generateGraphwalks({ seed: 2, promptChars: [4000], perSize: 3 })];
  const gwPath = join(dir, "graphwalks.parquet");
  const gwRows = gwItems.map((item) => graphwalks.toRow(item));
  parquetWriteFile({
    filename: gwPath,
    columnData: [
      { name: "prompt", data: gwRows.map((r) => r.prompt as string), type: "STRING" },
      { name: "answer_nodes", data: gwRows.map((r) => r.answer_nodes as string[]) },
      { name: "prompt_chars", data: gwRows.map((r) => BigInt(r.prompt_chars as number)), type: "INT64" },
      { name: "problem_type", data: gwRows.map((r) => r.problem_type as string), type: "STRING" },
    ],
  });

  const heldout = Array.from({ length: 5 }, (_, i) => `Held-out question ${i}: ${filler(random, 40)}`);
  const heldoutPath = join(dir, "heldout.jsonl");
  writeFileSync(heldoutPath, `${heldout.map((text) => JSON.stringify({ text, label: "x" })).join("\n")}\n`);

  const sources: [string, string[]][] = [
    [mrcrPath, mrcrItems.flatMap((item) => item.messages.map((m) => m.content).filter((c) => c.split(/\s+/).length > 60))],
    [gwPath, gwItems.map((item) => item.prompt)],
    [heldoutPath, heldout],
  ];
  const lines: string[] = [];
  const planted = new Map<number, { set: string; ngrams: number }>();
  for (let i = 0; i < 30; i++) {
    const source = i % 5 < 3 ? sources[i % 5]! : undefined;
    let text = `${filler(random, 50)}`;
    if (source) {
      const words = random.int(13, 30);
      text += `\n${excerpt(random, random.pick(source[1]), words)}\n${filler(random, 20)}`;
      planted.set(lines.length + 1, { set: source[0], ngrams: words - 13 + 1 });
    }
    lines.push(JSON.stringify(sample(`s${i}`, text)));
  }
  const samplesPath = join(dir, "samples.jsonl");
  writeFileSync(samplesPath, `${lines.join("\n")}\n`);
  return { dir, samplesPath, lines, against: [mrcrPath, gwPath, heldoutPath], planted };
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

test("drop: overlapping samples (MRCR JSONL, GraphWalks Parquet, a text column) are left out and listed with their n-grams; the rest are copied byte for byte", async () => {
  const f = await fixture();
  const outDir = join(f.dir, "drop");
  const report = await decontaminate({ samples: f.samplesPath, against: f.against, outDir, ngram: 13, mode: "drop" });

  assert.deepEqual(report.eval_sets.map((s) => [s.kind, s.column]), [["mrcr", undefined], ["graphwalks", undefined], ["column", "text"]]);
  assert.equal(report.read, 30);
  assert.equal(report.read, report.kept + report.dropped + report.flagged);
  assert.equal(report.dropped, f.planted.size);
  const clean = f.lines.filter((_, i) => !f.planted.has(i + 1));
  assert.equal(readFileSync(join(outDir, "samples.jsonl"), "utf8"), `${clean.join("\n")}\n`);

  const records = readJsonl<ContaminationRecord>(join(outDir, "contamination.jsonl"));
  assert.deepEqual(
    records.map((r) => [r.line, r.action, r.overlaps]),
    [...f.planted].map(([line, p]) => [line, "dropped", [{ eval_set: p.set, ngrams: p.ngrams }]]),
  );
  for (const set of report.eval_sets) {
    const mine = [...f.planted.values()].filter((p) => p.set === set.file);
    assert.equal(set.samples_hit, mine.length, set.file);
    assert.equal(set.ngrams_matched, mine.reduce((n, p) => n + p.ngrams, 0), set.file);
    assert.ok(set.items > 0 && set.ngrams > 0);
  }
  assert.deepEqual(JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")), report);
});

test("flag: every sample is kept byte for byte, the overlapping ones are listed as flagged; a shorter n-gram finds at least as much", async () => {
  const f = await fixture();
  const outDir = join(f.dir, "flag");
  const report = await decontaminate({ samples: f.samplesPath, against: f.against, outDir, ngram: 13, mode: "flag" });
  assert.equal(readFileSync(join(outDir, "samples.jsonl"), "utf8"), readFileSync(f.samplesPath, "utf8"));
  assert.equal(report.flagged, f.planted.size);
  assert.equal(report.kept + report.flagged, report.read);
  assert.ok(readJsonl<ContaminationRecord>(join(outDir, "contamination.jsonl")).every((r) => r.action === "flagged"));

  const eight = await decontaminate({ samples: f.samplesPath, against: f.against, outDir: join(f.dir, "eight"), ngram: 8, mode: "flag" });
  for (const [i, set] of eight.eval_sets.entries()) assert.ok(set.ngrams_matched >= report.eval_sets[i]!.ngrams_matched + set.samples_hit * 5);
});

test("stopped half-way, a rerun checks only the samples after its checkpoint and ends byte-identical to an uninterrupted run", async () => {
  const f = await fixture();
  const samples = join(f.dir, "many.jsonl");
  writeFileSync(samples, `${Array.from({ length: 5 }, () => f.lines.join("\n")).join("\n")}\n`);
  const run = (outDir: string, onProgress?: (lines: number) => void) => decontaminate({ samples, against: f.against, outDir, ngram: 13, mode: "drop", ...(onProgress ? { onProgress } : {}) });
  const clean = join(f.dir, "clean");
  await run(clean);
  const stopped = join(f.dir, "stopped");
  const stop = new Error("stopped");
  await assert.rejects(run(stopped, (lines) => { if (lines === 100) throw stop; }), stop);
  const done = JSON.parse(readFileSync(join(stopped, ".decontaminate-state.json"), "utf8")).done as number;
  assert.ok(done >= 64 && done < 100, `checkpoint at ${done}`);
  const checked: number[] = [];
  await run(stopped, (lines) => checked.push(lines));
  assert.equal(checked[0], done + 1, "the rerun starts after the checkpoint");
  for (const file of ["samples.jsonl", "contamination.jsonl", "report.json"]) assert.equal(readFileSync(join(stopped, file), "utf8"), readFileSync(join(clean, file), "utf8"), file);
  assert.deepEqual(readdirSync(stopped).sort(), ["contamination.jsonl", "report.json", "samples.jsonl"]);
});

test("acc decontaminate: summary per eval set, --column for other files, clear errors naming file and line, nothing written on failure", async () => {
  const f = await fixture();
  const out = join(f.dir, "cli");
  const { code, stderr } = await runCli(["decontaminate", f.samplesPath, "--against", ...f.against, "-o", out, "-q"]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /mrcr\.jsonl\s+mrcr\s+3\s+[\d,]+\s+\d+\s+[\d,]+/);
  assert.match(stderr, /heldout\.jsonl\s+column text\s+5\s+/);
  assert.match(stderr, new RegExp(`read 30 = kept ${30 - f.planted.size} \\+ dropped ${f.planted.size}`));
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as DecontaminateReport;
  assert.equal(report.dropped, f.planted.size);

  const noColumn = await runCli(["decontaminate", f.samplesPath, "--against", f.against[2]!, "--column", "question", "-o", join(f.dir, "x"), "-q"]);
  assert.equal(noColumn.code, 1);
  assert.match(noColumn.stderr, /heldout\.jsonl: line 1: missing column question \(has text, label\)/);

  const broken = join(f.dir, "broken.jsonl");
  writeFileSync(broken, `${f.lines[0]}\n{"schema": "acc.sample"}\n`);
  const bad = await runCli(["decontaminate", broken, "--against", f.against[2]!, "-o", join(f.dir, "bad"), "-q"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /broken\.jsonl: line 2: not an acc sample: at schema_version: expected/);
  assert.ok(!existsSync(join(f.dir, "bad", "samples.jsonl")) && !existsSync(join(f.dir, "bad", "report.json")));

  const usage = await runCli(["decontaminate", f.samplesPath, "--against", f.against[2]!, "--mode", "erase"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--mode expects one of drop, flag/);
});

test("an eval file with integer, float and boolean ids is read; a sample that differs from an eval text only by Unicode form is caught", async () => {
  const dir = tempDir();
  const random = new Random(8, "decontaminate-unicode");
  const texts = Array.from({ length: 3 }, () => `Résumé naïve café: ${filler(random, 30)}`);
  const evalPath = join(dir, "ids.jsonl");
  writeFileSync(evalPath, `${texts.map((text, i) => JSON.stringify({ id: [7, 2.5, true][i], text })).join("\n")}\n`);
  // NFD accents, a zero-width space inside a word, a soft hyphen and fullwidth capitals.
  const disguised = texts[1]!.normalize("NFD").replace("naïve".normalize("NFD"), "na\u200bi\u0308ve").replace(/q/g, "\u00adq").replace("R", "Ｒ");
  const samplesPath = join(dir, "samples.jsonl");
  writeFileSync(samplesPath, `${JSON.stringify(sample("clean", filler(random, 40)))}\n${JSON.stringify(sample("disguised", `${filler(random, 5)} ${disguised}`))}\n`);
  const report = await decontaminate({ samples: samplesPath, against: [evalPath], outDir: join(dir, "out"), ngram: 13, mode: "drop" });
  assert.equal(report.eval_sets[0]!.items, 3);
  assert.equal(report.dropped, 1);
  const [record] = readJsonl<ContaminationRecord>(join(dir, "out", "contamination.jsonl"));
  assert.equal(record!.sample_id, "disguised");
  assert.equal(record!.overlaps[0]!.ngrams, 33 - 13 + 1);
});
