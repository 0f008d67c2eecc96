// node scripts/search-ranking-set.mjs <FireAct checkout> <output folder>
// Builds the labelled set that search rankings are judged on (test/fixtures/search-ranking/, see its
// SOURCES.md) from the fine-tuning trajectories of FireAct (MIT): every `search[query]` a search agent
// wrote, with the passage the web search answered it with. Passages are the corpus; a query's relevant
// document is the passage that answered it (known-item search). Answers shorter than 80 characters (a
// bare name or date from an answer box) and "Could not find" answers are left out, as are repeated
// queries (the first answer counts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const FILES = ["hotpotqa", "hotpotqa_multimethod", "multitask", "multitask_multimethod"].map((name) => `data/finetune/gpt_format/${name}.jsonl`);
const [checkout, out] = process.argv.slice(2);
if (!checkout || !out) throw new Error("usage: node scripts/search-ranking-set.mjs <FireAct checkout> <output folder>");

const passages = new Map();
const queries = [];
const seen = new Set();
for (const file of FILES) {
  readFileSync(join(checkout, file), "utf8")
    .split("\n")
    .forEach((line, index) => {
      if (line.trim() === "") return;
      const messages = JSON.parse(line).messages;
      messages.forEach((message, i) => {
        if (message.role !== "assistant") return;
        for (const [, query] of message.content.matchAll(/Action: search\[(.*?)\]\s*$/gim)) {
          const answer = messages[i + 1]?.content.replace(/^Observation: /, "").trim() ?? "";
          const text = query.trim();
          if (answer.length < 80 || /^could not find/i.test(answer) || seen.has(text)) continue;
          seen.add(text);
          if (!passages.has(answer)) passages.set(answer, `p${passages.size + 1}`);
          queries.push({ query: text, relevant: passages.get(answer), source: `${file} line ${index + 1}` });
        }
      });
    });
}
mkdirSync(out, { recursive: true });
const corpus = [...passages].map(([text, id]) => JSON.stringify({ id, text })).join("\n");
writeFileSync(join(out, "corpus.jsonl.gz"), gzipSync(`${corpus}\n`, { level: 9 }));
writeFileSync(join(out, "queries.jsonl.gz"), gzipSync(`${queries.map((q) => JSON.stringify(q)).join("\n")}\n`, { level: 9 }));
console.log(`${passages.size} passages, ${queries.length} queries`);
