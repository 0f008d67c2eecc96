import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteFile } from "hyparquet-writer";
import { generateGraphwalks } from "../../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../../src/evals/graphwalks.js";
import { mrcrEval } from "../../src/evals/mrcr.js";
import { o200k } from "../../src/evals/tokens.js";
import { buildLoopRepo } from "../../examples/loop/repo.js";
import type { Sample } from "../../src/records/sample.js";
import type { RecordedRequest, Reply } from "../../src/testing/openai-server.js";
import { sample, SAMPLES_MISSING } from "./samples.js";

/**
 * The world the docs' examples are written for: every file or folder an example names that a user
 * would already have (their agent logs under ~, official eval files, a held-out set, a patch) exists
 * here under that name, made from the bundled examples, the shared real logs and generated eval
 * items. Outputs that one doc makes and another reads (out/compile, out/teach) are made by running
 * the documented commands once. Each doc then runs in its own copy of this folder.
 */

const ROOT = join(import.meta.dirname, "../..");
const REQUESTS_SLICE = join(ROOT, "test/mine/fixtures/requests-adapters-slice.bundle");

export interface World {
  /** The template folder (cwd of the examples; `home/` is their HOME). */
  dir: string;
  /** Paths an example may name that could not be made here (the shared logs are missing), with why. */
  missing: Map<string, string>;
}

/** The GitHub export shown in docs/commands/mine.md. */
const GITHUB_EXPORT = JSON.stringify({
  pulls: [
    {
      number: 6667,
      title: "Avoid reloading root certificates",
      body: "…",
      labels: [{ name: "performance" }],
      user: { login: "someone", type: "User" },
      created_at: "2024-03-01T10:00:00Z",
      closing_issues: [6655],
      cross_references: [6724],
    },
  ],
  issues: [{ number: 6655, title: "…", body: "…", comments: [{ body: "…", created_at: "2024-02-28T09:00:00Z" }] }],
});

/** Runs the built CLI in the world, as the examples do; throws with its stderr on failure. */
export type Acc = (args: string[], cwd: string) => Promise<void>;

function copy(from: string, to: string) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

function write(path: string, text: string | Buffer) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function jsonl(rows: unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join("");
}

export function readSamples(path: string): Sample[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Sample);
}

/** Agent logs a user keeps under ~ and in run folders, from the shared real logs. */
function realLogs(dir: string, missing: Map<string, string>) {
  const home = join(dir, "home");
  const wanted = ["~/.claude/projects", "~/.codex/sessions", "~/.openhands/conversations", "runs/"];
  if (SAMPLES_MISSING) {
    for (const path of wanted) missing.set(path, SAMPLES_MISSING);
    return;
  }
  const claude = sample("claude-code-jsonl");
  for (const project of ["my-app", "-home-me-my-app"]) {
    for (const name of readdirSync(claude).filter((n) => n.startsWith("4d5611e5"))) copy(join(claude, name), join(home, ".claude/projects", project, name));
  }
  copy(sample("codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl"), join(home, ".codex/sessions/2026/01/25/rollout-2026-01-25T10-12-00-crud.jsonl"));
  const conversations = sample("openhands-v1-sdk/persisted-conversation");
  for (const id of readdirSync(conversations)) copy(join(conversations, id), join(home, ".openhands/conversations", id));
  copy(join(conversations, readdirSync(conversations)[0]!), join(dir, "runs/conv-1"));
  const traj = sample("swe-agent-traj");
  for (const name of readdirSync(traj).filter((n) => n.endsWith(".traj"))) copy(join(traj, name), join(dir, "runs", name));
}

/** The official eval files' names and columns, with a few generated items each. */
async function evalFiles(dir: string) {
  const tokenizer = await o200k();
  const mrcr = mrcrEval();
  const rows = [...generateMrcr({ tokenizer, seed: 3, tokens: [3000], perSize: 3, needles: [2] })].map((item) => mrcr.toRow(item));
  const strings = ["prompt", "answer", "random_string_to_prepend", "date_added"];
  const ints = ["n_needles", "desired_msg_index", "total_messages", "n_chars"];
  for (const path of ["2needle/2needle_0.parquet", "2needle/2needle_1.parquet", "mrcr/2needle_0.parquet", "mrcr.parquet"]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    parquetWriteFile({
      filename: join(dir, path),
      columnData: [
        ...strings.map((name) => ({ name, data: rows.map((row) => String(row[name] ?? "2025-04-12")), type: "STRING" as const })),
        ...ints.map((name) => ({ name, data: rows.map((row) => BigInt(row[name] as number)), type: "INT64" as const })),
      ],
    });
  }
  write(join(dir, "mrcr-gen.jsonl"), jsonl(rows));
  const graphwalks = graphwalksEval();
  const walks = [...generateGraphwalks({ seed: 5, promptChars: [3000], perSize: 3 })].map((item) => graphwalks.toRow(item));
  parquetWriteFile({
    filename: join(dir, "graphwalks_128k_and_shorter.parquet"),
    columnData: [
      { name: "prompt", data: walks.map((row) => row.prompt as string), type: "STRING" },
      { name: "answer_nodes", data: walks.map((row) => row.answer_nodes as string[]), type: "JSON" },
      { name: "prompt_chars", data: walks.map((row) => BigInt(row.prompt_chars as number)), type: "INT64" },
      { name: "problem_type", data: walks.map((row) => row.problem_type as string), type: "STRING" },
      { name: "date_added", data: walks.map(() => "04-12-2025"), type: "STRING" },
    ],
  });
  const answers = walks.map((row, i) => ({ id: `graphwalks_128k_and_shorter.parquet#${i}`, text: `Final Answer: [${(row.answer_nodes as string[]).join(", ")}]` }));
  write(join(dir, "my-answers.jsonl"), jsonl(answers));
}

/** The examples' SWE agent's patch (it makes the repository's tests pass), and the same as the gold patch. */
function patches(dir: string) {
  const log = JSON.parse(readFileSync(join(dir, "examples/logs/swe-agent.jsonl"), "utf8").split("\n")[0]!) as { outcome: { submitted_patch: string } };
  write(join(dir, "fix.diff"), log.outcome.submitted_patch);
  write(join(dir, "gold.diff"), log.outcome.submitted_patch);
}

/**
 * Makes the world in `dir`. `acc` runs the built CLI; `endpoint` is the test server, answering as `oracle`
 * does from the samples this writes to out/compile.
 */
export async function buildWorld(dir: string, acc: Acc, endpoint: string): Promise<World> {
  const missing = new Map<string, string>();
  copy(join(ROOT, "examples"), join(dir, "examples"));
  execFileSync(process.execPath, [join(dir, "examples/setup.mjs")], { cwd: dir, stdio: "ignore" });
  const built = join(dir, "examples/.build");
  realLogs(dir, missing);

  // Logs a user points acc at by a name of their own.
  const search = join(dir, "examples/logs/search-agents.jsonl");
  copy(search, join(dir, "logs/search-agents.jsonl"));
  copy(search, join(dir, "finetune.jsonl"));
  write(join(dir, "logs.jsonl.gz"), gzipSync(readFileSync(search)));
  write(join(dir, "suspicious.jsonl"), `${readFileSync(search, "utf8")}{"messages": "not a list"}\n[1, 2, 3]\n`);
  copy(join(dir, "examples/logs/swe-agent.jsonl"), join(dir, "swe/swe-agent.jsonl"));
  // Databases and repositories.
  copy(join(built, "bookshop.sqlite"), join(dir, "bookshop.sqlite"));
  copy(join(built, "bookshop.sqlite"), join(dir, "dbs/bookshop.sqlite"));
  patches(dir);
  const clone = (to: string, ...flags: string[]) => {
    const run = spawnSync("git", ["clone", "-q", ...flags, "--branch", "main", REQUESTS_SLICE, join(dir, to)], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git clone ${to}: ${run.stderr}`);
  };
  clone("home/src/requests");
  // The loop's small Python package with four PRs (docs/commands/rollout.md mines it and rolls out on its stages).
  buildLoopRepo(join(dir, "home/src/textstats"));
  clone("repo.git", "--bare");
  write(join(dir, "requests-github.json"), GITHUB_EXPORT);

  // The CLI runs in processes of their own: what does not depend on each other runs at once.
  await Promise.all([
    acc(["import", search, "-o", "trajectories.jsonl", "-q"], dir),
    // The import stage's output as the loop (docs/loop.md) leaves it.
    acc(["import", "examples/logs", "-o", "out/import/trajectories.jsonl", "-q"], dir),
    // Compiled samples, and what users check them against.
    acc(["compile", "examples/logs", "-o", "out/compile", "--repo", "examples/.build/repo", "--db", "examples/.build/bookshop.sqlite", "-q"], dir),
    evalFiles(dir),
  ]);
  const samples = readSamples(join(dir, "out/compile/samples.jsonl"));
  write(join(dir, "samples.jsonl"), jsonl(samples));
  write(join(dir, "swe.jsonl"), jsonl(samples.filter((s) => s.meta.domain === "swe")));
  const heldout = [...samples.slice(0, 1).map((s) => s.meta.task.question), "Which river flows through Vienna?"];
  write(join(dir, "heldout.jsonl"), jsonl(heldout.map((question) => ({ text: `Held-out item. ${question}`, question }))));
  write(join(dir, "my-model-answers.jsonl"), jsonl(samples.filter((s) => s.meta.domain !== "swe").map((s) => ({ sample_id: s.id, answer: s.target.answer }))));
  await acc(["teach", "out/compile/samples.jsonl", "--endpoint", endpoint, "--model", "teacher", "-o", "out/teach", "--db", "examples/.build/bookshop.sqlite", "--repo", "examples/.build/repo", "-q"], dir);
  return { dir, missing };
}

/**
 * A per-doc change to the world: teach's and verify's `repo` is the examples' repository; mine's is
 * psf/requests, and mine writes to `out`, which it finds empty.
 */
export function adjustWorkspace(dir: string, doc: string) {
  if (/teach|verify/.test(doc)) copy(join(dir, "examples/.build/repo"), join(dir, "repo"));
  else if (/mine/.test(doc)) {
    rmSync(join(dir, "out"), { recursive: true, force: true });
    const run = spawnSync("git", ["clone", "-q", "--branch", "main", REQUESTS_SLICE, join(dir, "repo")], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git clone repo: ${run.stderr}`);
  }
}

/**
 * The test server as the teacher, judge, agent and eval model the docs point at: it answers a sample's
 * question with the sample's gold answer (swe: its patch), a judge with a passing verdict, and
 * anything else with a short final answer.
 */
export function oracle(samples: () => Sample[]): (request: RecordedRequest) => Reply {
  return (request) => {
    const body = request.body as { messages: { role: string; content: string | null }[] };
    const text = body.messages.map((m) => m.content ?? "").join("\n");
    const match = samples().find((s) => text.includes(s.meta.task.question));
    if (match) {
      const patch = match.meta.task.gold_patch;
      const answer = match.meta.domain === "swe" && patch ? `\`\`\`diff\n${patch}\`\`\`` : `Final answer: ${match.target.answer}`;
      return { type: "answer", content: answer, reasoning: "The documents answer it." };
    }
    if (/judge|grader|verdict/i.test(body.messages[0]?.content ?? "")) return { type: "answer", content: '{"verdict": "correct", "score": 1, "reason": "same entity"}' };
    return { type: "answer", content: "Final answer: 42" };
  };
}
