// npm run bench:export [-- --rounds 3]
// `acc export --to trl --tokenized` on the real trajectory samples (imported once), against, in the same run
// and interleaved: `acc import` of the same samples (the target: export at ≥ 0.5× import), by wall
// and by CPU (all threads, from the process's resource usage), and the floor any implementation must pay
// for the same rows: loading the tokenizer, one chat-template render and one encode of each row's text,
// timed in-process on acc's built code, with Python `tokenizers` encode_batch (Rust, threaded) on the same
// texts beside it. It also counts the template renders acc makes per row. acc's code runs from dist/
// (built first); the load average is printed with each round. (Until session 10 each round also timed the
// export with `--no-liftoff-only`; Qwen3 now loads from its rank table and the export never compiles
// tiktoken's WebAssembly, so that flag changes nothing here: docs/benchmarks.md#liftoff-only.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
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
const { ChatTemplate } = await fromDist<typeof import("../src/tokenize/chat-template.js")>("tokenize/chat-template.js");
const qwen3 = await loadQwen3();
const records = readFileSync(trajectories, "utf8").trim().split("\n").map((line) => JSON.parse(line));
const conversations = records.map((t) => sftConversation(t, "assistant"));
// The rows' texts as acc renders them (a row is the conversation up to a user turn when Qwen3's template cuts it).
const texts: string[] = [];
const rendered: { messages: ReturnType<typeof templateMessages>; tools: Record<string, unknown>[] }[] = [];
// Every render of a template goes through ChatTemplate.prefixes: counted there while the rows are made.
let renders = 0;
const prefixes = ChatTemplate.prototype.prefixes;
ChatTemplate.prototype.prefixes = function (this: InstanceType<typeof ChatTemplate>, messages, options) {
  const render = prefixes.call(this, messages, options);
  return (end, addGenerationPrompt) => {
    renders++;
    return render(end, addGenerationPrompt);
  };
};
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
ChatTemplate.prototype.prefixes = prefixes;
const chars = texts.reduce((n, t) => n + t.length, 0);

/** CPU seconds of the floor on this thread: the tokenizer's load, then one render and one encode per row. */
async function floorCpuSeconds(): Promise<number> {
  const start = process.cpuUsage();
  const tokenizer = await loadQwen3();
  for (const { messages, tools } of rendered) tokenizer.encode(tokenizer.applyChatTemplate(messages, tools.length > 0 ? { tools } : {}));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
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

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
interface Round {
  importS: number;
  importCpu: number;
  exportS: number;
  exportCpu: number;
  floorCpu: number;
  load: string;
}
const rounds: Round[] = [];
console.log(`${records.length} trajectories → ${texts.length} rows, ${(chars / 1e6).toFixed(1)} M characters rendered; ${renders} template renders (${(renders / texts.length).toFixed(2)} per row)`);
console.log("round  import wall/CPU s  export wall/CPU s  export÷import speed wall/CPU  floor CPU s  load (1/5/15 min)");
for (let round = 0; round < ROUNDS; round++) {
  const before = load();
  const imported_ = timeNode(["dist/cli/main.js", "import", SAMPLES, "-o", imported, "-q"]);
  rmSync(imported, { force: true });
  const exported = timeNode(["dist/cli/main.js", "export", trajectories, "--to", "trl", "--tokenized", "-o", out, "--overwrite"]);
  const r: Round = {
    importS: imported_.seconds,
    importCpu: imported_.cpuSeconds,
    exportS: exported.seconds,
    exportCpu: exported.cpuSeconds,
    floorCpu: await floorCpuSeconds(),
    load: before,
  };
  rounds.push(r);
  console.log(`${String(round + 1).padStart(5)}  ${r.importS.toFixed(2).padStart(6)} / ${r.importCpu.toFixed(2).padStart(5)}    ${r.exportS.toFixed(2).padStart(6)} / ${r.exportCpu.toFixed(2).padStart(5)}    ${(r.importS / r.exportS).toFixed(2)}× / ${(r.importCpu / r.exportCpu).toFixed(2)}×                ${r.floorCpu.toFixed(2).padStart(5)}        ${r.load}`);
}
rmSync(out, { recursive: true, force: true });
const m = (pick: (r: Round) => number) => median(rounds.map(pick));
// Once, after the rounds: it is a reference beside the figures, not one of the ratios (and it is the slowest step).
const python = pythonSeconds();
console.log(`medians of ${ROUNDS} interleaved rounds (load now ${load()}):`);
console.log(`acc import:                 ${m((r) => r.importS).toFixed(2)} s wall, ${m((r) => r.importCpu).toFixed(2)} CPU-s`);
console.log(`acc export --tokenized:     ${m((r) => r.exportS).toFixed(2)} s wall, ${m((r) => r.exportCpu).toFixed(2)} CPU-s  → ${m((r) => r.importS / r.exportS).toFixed(2)}× import speed by wall, ${m((r) => r.importCpu / r.exportCpu).toFixed(2)}× by CPU (target ≥ 0.5×)`);
console.log(`floor (tokenizer load + 1 render + 1 encode per row, in-process): ${m((r) => r.floorCpu).toFixed(2)} CPU-s → export at ${m((r) => r.floorCpu / r.exportCpu).toFixed(2)}× the floor's speed; the floor alone runs at ${m((r) => r.importCpu / r.floorCpu).toFixed(2)}× import by CPU`);
if (python !== undefined) console.log(`Python tokenizers encode_batch of the same texts (no rendering): ${python.toFixed(2)} s`);
else console.log("Python tokenizers: .venv-checks missing (scripts/setup-python-checks.sh); skipped");
