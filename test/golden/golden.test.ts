// The proof that a restructuring changed no behaviour: the bundled examples and a few real logs go through
// import, compile, export (four targets), eval grading (recorded answers, no model) and a scripted rollout
// against the in-process test server, with fixed seeds, and the SHA-256 of every file they write must equal
// test/golden/digests.json. Any changed byte fails the test and names the file.
//
// Refresh the digests only when outputs are meant to change: `npm run golden:update`, and say in the commit
// message why the outputs changed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { withTokenIds } from "../../src/testing/token-ids.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { sample, SAMPLES_MISSING } from "../helpers/samples.js";

const ROOT = join(import.meta.dirname, "../..");
const DIGESTS = join(import.meta.dirname, "digests.json");
const UPDATE = process.env.ACC_GOLDEN_UPDATE === "1";

/** Small real logs of formats the bundled examples do not cover (a folder format among them). */
const SAMPLES = [
  "openhands-v1-sdk/persisted-conversation",
  "codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl",
  "sql-agent-spider-agent-tc/sf_bq024.json",
  "openhands-v0-events/basic_gui_mode.json",
  "swe-agent-traj/marshmallow-1867__function_calling_replace_from_source.traj",
];

interface ChatBody {
  messages: { role: string; content: string | null }[];
  seed: number;
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);

/** Runs one acc command in this process (cwd: the world, so every path in the outputs is relative). */
async function acc(...args: string[]): Promise<void> {
  const { code, stderr } = await runCli(args);
  assert.equal(code, 0, `acc ${args.join(" ")}: ${stderr}`);
}

/** The SQL agent: lists the tables, runs the task's gold query, then answers with it; even seeds answer, odd seeds give up. */
function sqlAgent(tasks: { question: string; gold_sql: string }[]) {
  return (body: ChatBody) => {
    const question = body.messages.find((m) => m.role === "user")?.content ?? "";
    const task = tasks.find((t) => question.includes(t.question));
    const turn = body.messages.filter((m) => m.role === "assistant").length;
    const call = (name: string, args: Record<string, unknown>) => ({ content: "", tool_calls: [{ id: `call_${turn}`, name, arguments: JSON.stringify(args) }] });
    if (task === undefined) return { content: "I cannot tell which task this is." };
    if (turn === 0) return call("list_tables", {});
    if (turn === 1) return call("run_sql", { sql: task.gold_sql });
    const result = body.messages.at(-1)?.content ?? "";
    return { content: body.seed % 2 === 0 ? `\`\`\`sql\n${task.gold_sql}\n\`\`\`\n${result.split("\n").at(-1)}` : "I do not know." };
  };
}

/** Every other item right; the others half right (GraphWalks: one node) or wrong (MRCR: without its prefix). */
function recordedAnswer(kind: "mrcr" | "graphwalks", item: Record<string, unknown>, i: number): string {
  if (kind === "graphwalks") {
    const nodes = item.answer_nodes as string[];
    return `Final Answer: [${(i % 2 === 0 ? nodes : nodes.slice(0, 1)).join(", ")}]`;
  }
  const answer = String(item.answer);
  return i % 2 === 0 ? answer : answer.slice(String(item.random_string_to_prepend).length);
}

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

test("import → compile → export, eval grading and a scripted rollout write the same bytes as recorded in test/golden/digests.json", { skip: SAMPLES_MISSING }, async () => {
  const world = tempDir("acc-golden-");
  cpSync(EXAMPLE_LOGS, join(world, "logs/examples"), { recursive: true });
  for (const path of SAMPLES) cpSync(sample(path), join(world, "logs/samples", path), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, "examples/setup.mjs"), join(world, "build")], { stdio: "ignore" });
  mkdirSync(join(world, "out"));
  // worker threads started with tsx (under test) resolve it from the working directory
  symlinkSync(join(ROOT, "node_modules"), join(world, "node_modules"));
  const cwd = process.cwd();
  process.chdir(world);
  try {
    await acc("import", "logs", "-o", "out/import/trajectories.jsonl", "-q");
    await acc("compile", "out/import/trajectories.jsonl", "-o", "out/compile", "--repo", "build/repo", "--db", "build/bookshop.sqlite", "--seed", "7", "-q");
    await acc("export", "out/compile/samples.jsonl", "--to", "trl", "-o", "out/export-trl");
    await acc("export", "out/compile/samples.jsonl", "--to", "parquet", "-o", "out/export-parquet", "--name", "golden");
    await acc("export", "out/import/trajectories.jsonl", "--to", "atif", "-o", "out/export-atif");
    await acc("export", "out/import/trajectories.jsonl", "--to", "openai", "--mask", "final", "-o", "out/export-openai");

    for (const kind of ["mrcr", "graphwalks"] as const) {
      const data = `out/eval-${kind}-items.jsonl`;
      await acc("eval", kind, "--data", `generated:sizes=8k,per-size=3,seed=7${kind === "mrcr" ? ",needles=2" : ""}`, "--save-data", data);
      const answers = "eval-answers.jsonl";
      writeFileSync(answers, readJsonl<Record<string, unknown>>(data).map((item, i) => `${JSON.stringify({ id: item.id, text: recordedAnswer(kind, item, i) })}\n`).join(""));
      await acc("eval", kind, "--data", data, "--responses", answers, "-o", `out/eval-${kind}`);
    }

    const tasks = readJsonl<{ question: string; gold_sql: string }>(join(ROOT, "examples/rollout/sql-tasks.jsonl"));
    const ids = withTokenIds(await resolveTokenizer("qwen3"));
    const agent = sqlAgent(tasks);
    const server = await startOpenAIServer((request) => ids(request.body, { type: "answer", ...agent(request.body as ChatBody) }), { record: false });
    try {
      await acc("rollout", "--env", "sql:build/bookshop.sqlite", "--tasks", join(ROOT, "examples/rollout/sql-tasks.jsonl"), "--endpoint", server.url, "--model", "scripted", "--group-size", "2", "--seed", "3", "--max-steps", "6", "--max-tokens", "256", "--window", "8192", "-o", "out/rollout", "-q");
    } finally {
      await server.close();
    }
  } finally {
    process.chdir(cwd);
  }

  const actual = digests(join(world, "out"));
  if (UPDATE) {
    writeFileSync(DIGESTS, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  const expected = JSON.parse(readFileSync(DIGESTS, "utf8")) as Record<string, string>;
  const changed = Object.keys({ ...expected, ...actual })
    .sort()
    .filter((file) => expected[file] !== actual[file])
    .map((file) => `${file}: ${expected[file] === undefined ? "new" : actual[file] === undefined ? "missing" : "changed"}`);
  assert.deepEqual(changed, [], `outputs differ from test/golden/digests.json (world kept in ${world}):\n${changed.join("\n")}`);
  rmSync(world, { recursive: true, force: true });
});
