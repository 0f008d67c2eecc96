// npm run bench:export [-- --rounds 3]
// `acc export --to trl --tokenized` on the real trajectory samples (imported once), against, in the same run
// and interleaved: `acc import` of the same samples (the target: export at ≥ 0.5× import), and the
// floor any implementation must pay for the same rows: one chat-template render and one encode of each
// row's text, timed in-process on acc's built code, with Python `tokenizers` encode_batch (Rust, threaded)
// on the same texts beside it. acc's code runs from dist/ (built first).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BENCH_DATA, REPO, build, fromDist, median, timeNode } from "./common.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(REPO, "../shared/trajectory-samples");
const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;

if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
mkdirSync(BENCH_DATA, { recursive: true });
const trajectories = join(BENCH_DATA, "export-trajectories.jsonl");
const imported = join(BENCH_DATA, "export-import-out.jsonl");
const out = join(BENCH_DATA, "export-out");
rmSync(trajectories, { force: true });
timeNode(["dist/cli/main.js", "import", SAMPLES, "-o", trajectories, "-q"]);

const { loadQwen3, QWEN3_DIR } = await fromDist<typeof import("../src/tokenize/qwen3.js")>("tokenize/qwen3.js");
const { sftConversation, templateMessages } = await fromDist<typeof import("../src/export/sft.js")>("export/sft.js");
const { tokenizeConversation } = await fromDist<typeof import("../src/export/tokenized.js")>("export/tokenized.js");
const qwen3 = await loadQwen3();
const records = readFileSync(trajectories, "utf8").trim().split("\n").map((line) => JSON.parse(line));
const conversations = records.map((t) => sftConversation(t, "assistant"));
// The rows' texts as acc renders them (a row is the conversation up to a user turn when Qwen3's template cuts it).
const texts: string[] = [];
const rendered: { messages: ReturnType<typeof templateMessages>; tools: Record<string, unknown>[] }[] = [];
for (const c of conversations) {
  try {
    for (const row of tokenizeConversation(c, qwen3)) {
      texts.push(row.text);
      rendered.push({ messages: templateMessages(c).slice(0, row.end), tools: c.tools });
    }
  } catch {
    // refused conversations are refused by the export too
  }
}
const chars = texts.reduce((n, t) => n + t.length, 0);

function floorSeconds(): number {
  const start = performance.now();
  for (const { messages, tools } of rendered) qwen3.encode(qwen3.applyChatTemplate(messages, tools.length > 0 ? { tools } : {}));
  return (performance.now() - start) / 1000;
}

const venvPython = join(REPO, ".venv-checks/bin/python");
const tokenizerJson = join(BENCH_DATA, "qwen3-tokenizer.json");
writeFileSync(tokenizerJson, gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz"))));
writeFileSync(join(BENCH_DATA, "export-texts.json"), JSON.stringify(texts));
const PYTHON = `
import json, sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
texts = json.load(open(sys.argv[2]))
tok.encode_batch(texts[:20], add_special_tokens=False)
start = time.perf_counter()
tok.encode_batch(texts, add_special_tokens=False)
print(time.perf_counter() - start)
`;
function pythonSeconds(): number | undefined {
  if (!existsSync(venvPython)) return undefined;
  const run = spawnSync(venvPython, ["-c", PYTHON, tokenizerJson, join(BENCH_DATA, "export-texts.json")], { encoding: "utf8" });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

const rounds: { importS: number; exportS: number; floorS: number; pythonS: number | undefined }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const importS = timeNode(["dist/cli/main.js", "import", SAMPLES, "-o", imported, "-q"]).seconds;
  rmSync(imported, { force: true });
  const exportS = timeNode(["dist/cli/main.js", "export", trajectories, "--to", "trl", "--tokenized", "-o", out, "--overwrite"]).seconds;
  rounds.push({ importS, exportS, floorS: floorSeconds(), pythonS: pythonSeconds() });
}
rmSync(out, { recursive: true, force: true });
const m = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
const python = rounds.every((r) => r.pythonS !== undefined) ? m((r) => r.pythonS!) : undefined;
console.log(`${records.length} trajectories → ${texts.length} rows, ${(chars / 1e6).toFixed(1)} M characters rendered; ${ROUNDS} rounds, medians (wall, load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]})`);
console.log(`acc import:                 ${m((r) => r.importS).toFixed(2)} s`);
console.log(`acc export --tokenized:     ${m((r) => r.exportS).toFixed(2)} s  → ${(m((r) => r.importS) / m((r) => r.exportS)).toFixed(2)}× import speed (target ≥ 0.5×)`);
console.log(`floor (1 render + 1 encode per row, in-process, tokenizer loaded): ${m((r) => r.floorS).toFixed(2)} s  → export at ${(m((r) => r.floorS) / m((r) => r.exportS)).toFixed(2)}× the floor's speed`);
if (python !== undefined) console.log(`Python tokenizers encode_batch of the same texts (no rendering): ${python.toFixed(2)} s`);
else console.log("Python tokenizers: .venv-checks missing (scripts/setup-python-checks.sh); skipped");
