// The whole loop, offline, as one command: npx tsx examples/loop/run.ts [out]   (default out/loop)
//
//   mine the loop's repository into staged tasks → roll out on them in the repo environment, the local
//   test server playing a scripted agent → import those rollouts → compile → export → generate a small
//   MRCR and GraphWalks set and grade scripted answers → acc view of every stage.
//
// Each step is an acc command, printed before it runs; with --endpoint pointed at a real server (and no
// scripted agent) the same commands are the recipe for real data (docs/loop.md).
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { main } from "../../src/cli/program.js";
import { episodeSeed } from "../../src/rollout/run.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { withTokenIds } from "../../src/testing/token-ids.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";
import { buildLoopRepo, TEST_COMMAND } from "./repo.js";

interface Stage {
  instance_id: string;
  problem_statement: string;
  patch: string;
  base_commit: string;
  merge_commit: string;
}

/** The rollout's seed: the scripted agent knows from it which episode of a group it is playing. */
const SEED = 0;

interface ChatBody {
  messages: { role: string; content: string | null }[];
  seed: number;
}

/** The stage folders under `out`, in the order the loop writes them. */
export const STAGES = ["mine", "rollout", "import", "compile", "export", "eval-mrcr", "eval-graphwalks"] as const;

/** Runs one acc command in this process; a failure stops the loop with the command's own message. */
async function acc(args: string[], log: (line: string) => void): Promise<void> {
  log(`$ acc ${args.map((a) => (/^[\w./:=+,@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ")}`);
  const code = await main(args, { stdout: process.stdout, stderr: process.stderr });
  if (code !== 0) throw new Error(`acc ${args[0]} exited ${code}`);
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);

/**
 * The scripted agent: it looks at the first file the stage's gold patch changes (or, when the PR adds it, a
 * file beside it), and in the first episode of each group writes the files as the PR left them; in the
 * second it looks at the tests and submits without a fix. So every group has one pass and one failure
 * (GRPO has something to compare) and every passing episode read the code it changed.
 */
function scriptedAgent(repo: string, stages: Stage[]) {
  const fileAt = (commit: string, path: string) => execFileSync("git", ["-C", repo, "show", `${commit}:${path}`], { encoding: "utf8" });
  const filesAt = (commit: string) => execFileSync("git", ["-C", repo, "ls-tree", "-r", "--name-only", commit], { encoding: "utf8" }).trim().split("\n");
  const toView = (stage: Stage, changed: string[]) => {
    const existing = filesAt(stage.base_commit);
    const folder = dirname(changed[0]!);
    return changed.find((path) => existing.includes(path)) ?? existing.find((path) => dirname(path) === folder && !path.endsWith("__init__.py")) ?? changed[0]!;
  };
  return (body: ChatBody): { content: string; tool_calls?: { id: string; name: string; arguments: string }[] } => {
    const task = body.messages.find((m) => m.role === "user")?.content ?? "";
    const stage = stages.find((s) => task.includes(s.problem_statement));
    if (!stage) return { content: "I cannot tell which task this is." };
    const turn = body.messages.filter((m) => m.role === "assistant").length;
    const changed = [...stage.patch.matchAll(/^diff --git a\/(\S+) b\//gm)].map((m) => m[1]!);
    const call = (name: string, args: Record<string, unknown>) => ({ content: "", tool_calls: [{ id: `call_${turn}`, name, arguments: JSON.stringify(args) }] });
    if (turn === 0) return call("view", { path: toView(stage, changed) });
    if (turn === 1 && body.seed === episodeSeed(SEED, stage.instance_id, 0)) {
      const writes = changed.map((path) => `cat > ${path} <<'ACC_EOF'\n${fileAt(stage.merge_commit, path)}ACC_EOF`).join("\n");
      return call("bash", { command: `${writes}\n${TEST_COMMAND}` });
    }
    if (turn === 1) return call("bash", { command: "ls tests" });
    return call("submit", {});
  };
}

/** Runs the loop into `out` (replaced); returns the stage folders. `log` gets each command line. */
export async function runLoop(out: string, log: (line: string) => void = (line) => console.log(line)): Promise<Record<(typeof STAGES)[number] | "view", string>> {
  out = resolve(out);
  rmSync(out, { recursive: true, force: true });
  const dir = Object.fromEntries([...STAGES, "view"].map((s) => [s, join(out, s)])) as Record<(typeof STAGES)[number] | "view", string>;
  const repo = join(out, "textstats");
  log(`# the loop's repository: ${repo} at ${buildLoopRepo(repo)}`);

  await acc(["mine", repo, "-o", dir.mine, "--test-cmd", TEST_COMMAND, "-q"], log);

  const stages = readJsonl<Stage>(join(dir.mine, "stages.jsonl"));
  const agent = scriptedAgent(repo, stages);
  const ids = withTokenIds(await resolveTokenizer("qwen3"));
  const server = await startOpenAIServer((request) => ids(request.body, { type: "answer", ...agent(request.body as ChatBody) }), { record: false });
  log(`# the scripted agent answers at ${server.url}`);
  try {
    await acc(["rollout", "--env", `repo:${repo}`, "--tasks", join(dir.mine, "stages.jsonl"), "--endpoint", server.url, "--model", "scripted-agent", "--group-size", "2", "--seed", String(SEED), "--max-steps", "6", "--max-tokens", "512", "--window", "16384", "-o", dir.rollout, "-q"], log);
  } finally {
    await server.close();
  }

  await acc(["import", join(dir.rollout, "trajectories.jsonl"), "-o", join(dir.import, "trajectories.jsonl"), "-q"], log);
  await acc(["compile", join(dir.import, "trajectories.jsonl"), "-o", dir.compile, "--repo", repo, "-q"], log);
  await acc(["export", join(dir.compile, "samples.jsonl"), "--to", "trl", "-o", dir.export], log);

  for (const kind of ["mrcr", "graphwalks"] as const) {
    const folder = dir[`eval-${kind}`];
    const data = join(out, `${kind}-items.jsonl`);
    await acc(["eval", kind, "--data", `generated:sizes=8k,per-size=4${kind === "mrcr" ? ",needles=2" : ""}`, "--save-data", data], log);
    const responses = join(out, `${kind}-answers.jsonl`);
    writeFileSync(responses, readJsonl<Record<string, unknown>>(data).map((item, i) => `${JSON.stringify({ id: item.id, text: scriptedAnswer(kind, item, i) })}\n`).join(""));
    await acc(["eval", kind, "--data", data, "--responses", responses, "-o", folder], log);
  }

  await acc(["view", ...STAGES.map((s) => dir[s]), "-o", dir.view, "-q"], log);
  log(`# open ${join(dir.view, "index.html")}`);
  return dir;
}

/** Every other item answered right; the others half right (GraphWalks: one node) or wrong (MRCR: the reply without its prefix). */
function scriptedAnswer(kind: "mrcr" | "graphwalks", item: Record<string, unknown>, i: number): string {
  if (kind === "graphwalks") {
    const nodes = item.answer_nodes as string[];
    return `Final Answer: [${(i % 2 === 0 ? nodes : nodes.slice(0, 1)).join(", ")}]`;
  }
  // the answer starts with the random string the model must prepend; a reply without it scores 0
  const answer = String(item.answer);
  return i % 2 === 0 ? answer : answer.slice(String(item.random_string_to_prepend).length);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runLoop(process.argv[2] ?? "out/loop").catch((error: unknown) => {
    console.error(`loop: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
