import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEFAULT_ENV_SETTINGS } from "../../src/envs/index.js";
import type { Episode, RolloutRow } from "../../src/records/rollout.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { validate } from "../../src/records/validate.js";
import { ADVANTAGE_EPSILON, groupAdvantages } from "../../src/rollout/advantages.js";
import { mergeRun } from "../../src/merge/run.js";
import { episodeSeed, type RolloutRunOptions, rolloutRun } from "../../src/rollout/run.js";
import type { OpenAIServer } from "../../src/testing/openai-server.js";
import { importAll, runCli, tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { type ChatBody, contextSettings, exampleData, isSummaryRequest, policyServer, runSql, turns } from "./harness.js";

const SQL_TASKS = join(import.meta.dirname, "../../examples/rollout/sql-tasks.jsonl");
const tasks = readFileSync(SQL_TASKS, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; question: string; gold_sql: string });

/** Equal to the last few bits: the same formula evaluated in another order rounds differently. */
function assertClose(actual: readonly number[], expected: readonly number[], message?: string): void {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) < 1e-12, `${message ?? "values"}: [${i}] ${value} vs ${expected[i]}`));
}

const readLines = <T>(path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as T);

test("GRPO advantages: (r − mean) / (std + ε) over the baseline episodes (unbiased std); errors get 0 and stay out", () => {
  const group = [1, 1, 0, 0].map((reward) => ({ reward, in_baseline: true }));
  const std = Math.sqrt(1 / 3); // four rewards 1,1,0,0: mean 0.5, squared deviations sum to 1, over n − 1 = 3
  assertClose(groupAdvantages(group), [0.5, 0.5, -0.5, -0.5].map((d) => d / (std + ADVANTAGE_EPSILON)));
  const withError = [...group.slice(0, 3), { reward: 0, in_baseline: false }];
  const mean = 2 / 3;
  const std3 = Math.sqrt(((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2);
  assertClose(groupAdvantages(withError), [1 - mean, 1 - mean, -mean].map((d) => d / (std3 + ADVANTAGE_EPSILON)).concat([0]));
  assert.deepEqual(groupAdvantages([{ reward: 1, in_baseline: true }]), [1 / (1 + ADVANTAGE_EPSILON)], "one episode: mean 0, std 1 (as verl)");
  assert.deepEqual(groupAdvantages([1, 1].map((reward) => ({ reward, in_baseline: true }))), [0, 0]);
});

/** Answers every example SQL task with its gold query, by sample: wrong answers, endless queries or errors where asked. */
function bookshopPolicy(behaviour: (task: string, sample: number) => "right" | "wrong" | "endless" | "error" | "context" = () => "right") {
  return (body: ChatBody) => {
    const question = String(body.messages[1]!.content);
    const task = tasks.find((t) => question.startsWith(t.question))!;
    const sample = [0, 1, 2, 3, 4, 5, 6, 7].find((i) => episodeSeed(0, task.id, i) === body.seed)!;
    const mode = behaviour(task.id, sample);
    if (mode === "error") return { type: "error" as const, status: 400, message: "unsupported value: 'logprobs' does not support 20" };
    // vLLM's refusal of a prompt longer than --max-model-len (serving_engine.py)
    if (mode === "context") return { type: "error" as const, status: 400, message: "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens." };
    if (isSummaryRequest(body)) return { content: "<summary>Looked at the tables.</summary>" };
    if (mode === "endless" || turns(body) === 0) return runSql("SELECT name FROM sqlite_schema WHERE type = 'table'", `call_${turns(body)}`);
    return { content: mode === "right" ? `\`\`\`sql\n${task.gold_sql}\n\`\`\`` : "```sql\nSELECT 42\n```" };
  };
}

function options(server: OpenAIServer, outDir: string, overrides: Partial<RolloutRunOptions> = {}): RolloutRunOptions {
  return {
    tasks: SQL_TASKS,
    outDir,
    env: { kind: "sql", path: exampleData().db },
    envSettings: DEFAULT_ENV_SETTINGS,
    client: { endpoint: server.url, maxRetries: 0 },
    episode: { model: "policy", maxSteps: 4, maxTokens: 64, temperature: 1, topP: 1, tokenIds: true, protocol: "native", context: contextSettings({ window: 4096 }) },
    groupSize: 4,
    seed: 0,
    tokenizer: "qwen3",
    concurrency: 8,
    ...overrides,
  };
}

let server: OpenAIServer;
before(async () => {
  server = await policyServer(
    bookshopPolicy((task, sample) => {
      if (task === "sql-books") return (["right", "right", "wrong", "endless"] as const)[sample]!;
      if (task === "sql-newest-store") return (["right", "wrong", "wrong", "error"] as const)[sample]!;
      return "right";
    }),
  );
});
after(() => server.close());

test("a policy call the server refuses as longer than its context window stops the episode as overlong window, in the baseline", async () => {
  const server = await policyServer(bookshopPolicy((_task, sample) => (sample === 1 ? "context" : "right")));
  try {
    const out = tempDir();
    const oneTask = join(out, "tasks.jsonl");
    writeFileSync(oneTask, `${JSON.stringify(tasks[0])}\n`);
    const stats = await rolloutRun(options(server, join(out, "run"), { tasks: oneTask, groupSize: 2 }));
    const episodes = readLines<Episode>(join(out, "run", "episodes.jsonl"));
    assert.deepEqual(episodes.map((e) => [e.stop_reason, e.overlong_reason, e.in_baseline, e.in_loss]), [
      ["final", null, true, true],
      ["window", "window", true, false],
    ]);
    assert.match(episodes[1]!.error!, /refused the prompt as longer than its context window: HTTP 400: This model's maximum context length is 2048/);
    assert.deepEqual([stats.data.errors, stats.data.overlong.window], [0, 1]);
  } finally {
    await server.close();
  }
});

test("a run: groups of G episodes with advantages broadcast to their rows; overlong episodes masked but in the baseline, errors out of both", async () => {
  const out = tempDir();
  const stats = await rolloutRun(options(server, out));
  const episodes = readLines<Episode>(join(out, "episodes.jsonl"));
  const rows = readLines<RolloutRow>(join(out, "rows.jsonl"));
  assert.equal(episodes.length, tasks.length * 4);
  assert.deepEqual(episodes.map((e) => e.id), tasks.flatMap((t) => [0, 1, 2, 3].map((i) => `${t.id}#${i}`)), "written in task order, then sample order");

  const books = episodes.filter((e) => e.group_id === "sql-books");
  assert.deepEqual(books.map((e) => [e.reward, e.stop_reason, e.in_loss, e.in_baseline]), [
    [1, "final", true, true],
    [1, "final", true, true],
    [0, "final", true, true],
    [0, "step-cap", false, true],
  ]);
  const std = Math.sqrt(1 / 3);
  assertClose(books.map((e) => e.advantage), [0.5, 0.5, -0.5, -0.5].map((d) => d / (std + ADVANTAGE_EPSILON)), "the step-capped episode counts in the mean and std");

  const store = episodes.filter((e) => e.group_id === "sql-newest-store");
  assert.equal(store[3]!.stop_reason, "error");
  assert.match(store[3]!.error!, /HTTP 400: unsupported value/);
  // baseline rewards 1, 0, 0 (the error is out): mean 1/3, squared deviations 4/9 + 1/9 + 1/9 over n − 1 = 2
  const std3 = Math.sqrt(1 / 3);
  assertClose(store.map((e) => e.advantage), [(1 - 1 / 3) / (std3 + ADVANTAGE_EPSILON), (-1 / 3) / (std3 + ADVANTAGE_EPSILON), (-1 / 3) / (std3 + ADVANTAGE_EPSILON), 0]);

  for (const episode of episodes) {
    const own = rows.filter((r) => r.episode_id === episode.id);
    if (episode.stop_reason === "error") assert.equal(own.length, 0);
    for (const row of own) {
      assert.equal(row.advantage, episode.advantage);
      assert.equal(row.reward, episode.reward);
      assert.equal(row.in_loss, episode.in_loss);
      assert.equal(row.response_mask.length, row.response_ids.length);
      assert.equal(row.response_logprobs!.length, row.response_ids.length);
      if (!episode.in_loss) assert.ok(row.response_mask.every((m) => m === 0));
      else assert.ok(row.response_mask.includes(1));
    }
  }
  assert.equal(stats.data.episodes, 20);
  assert.equal(stats.data.errors, 1);
  assert.equal(stats.data.overlong["step-cap"], 1);
  assert.equal(stats.data.rows, rows.length);
  assert.equal(stats.data.successes, episodes.filter((e) => e.success).length);
  assert.deepEqual(JSON.parse(readFileSync(join(out, "stats.json"), "utf8")), stats.data);
  assert.deepEqual(readdirSync(out).sort(), ["episodes.jsonl", "rows.jsonl", "rows.parquet", "stats.json", "steps.jsonl", "trajectories.jsonl"]);

  // trajectories are canonical and acc import reads them back as they are
  const trajectories = readLines<Trajectory>(join(out, "trajectories.jsonl"));
  assert.ok(trajectories.every((t) => validate(Trajectory, t).ok));
  assert.deepEqual(trajectories.map((t) => t.source.locator.index), trajectories.map((_, i) => i));
  const imported = await importAll([join(out, "trajectories.jsonl")]);
  assert.equal(imported.rejects.length, 0);
  assert.equal(imported.trajectories.length, episodes.length);
  assert.equal(imported.trajectories[0]!.domain, "sql");
  assert.equal(imported.trajectories[0]!.outcome.submitted_sql, tasks[0]!.gold_sql);

  // acc compile turns the successful rollouts into long-context samples
  const compiled = tempDir();
  const compile = await runCli(["compile", join(out, "trajectories.jsonl"), "-o", compiled, "--db", exampleData().db, "--length", "all=fixed:2000", "-q"]);
  assert.equal(compile.code, 0, compile.stderr);
  const samples = readFileSync(join(compiled, "samples.jsonl"), "utf8").trim().split("\n");
  assert.equal(samples.length, episodes.filter((e) => e.success).length);
});

test("a long episode at the head does not stop the groups behind it; the files stay in task order", async () => {
  const [first, ...rest] = tasks;
  const asked = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // a guard, so that a regression fails the test rather than hang it
  const guard = setTimeout(release, 5000);
  let askedBeforeFirstAnswer = -1;
  // the first task's answers wait until every later task has been asked
  const slowHead = await policyServer(async (body) => {
    const question = String(body.messages[1]!.content);
    const task = tasks.find((t) => question.startsWith(t.question))!;
    if (task === first) {
      await gate;
      if (askedBeforeFirstAnswer === -1) askedBeforeFirstAnswer = asked.size;
    } else if (asked.add(task.id).size === rest.length) {
      release();
    }
    return bookshopPolicy()(body);
  });
  try {
    const out = tempDir();
    // 4 episodes a group, 8 in flight: two groups run at a time, the first task's and one after it
    await rolloutRun(options(slowHead, out, { concurrency: 8 }));
    clearTimeout(guard);
    assert.equal(askedBeforeFirstAnswer, rest.length, "every later task was asked while the first one's episodes waited");
    const episodes = readLines<Episode>(join(out, "episodes.jsonl"));
    assert.deepEqual(episodes.map((e) => e.id), tasks.flatMap((t) => [0, 1, 2, 3].map((i) => `${t.id}#${i}`)), "written in task order");
  } finally {
    await slowHead.close();
  }
});

test("rows.parquet holds the rows of rows.jsonl (read back by pyarrow: list<int32> ids, nullable logprobs)", { skip: pythonMissing("pyarrow") }, async () => {
  const out = tempDir();
  await rolloutRun(options(server, out, { groupSize: 2 }));
  const script = `
import json, sys, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
print(json.dumps({"types": {f.name: str(f.type) for f in table.schema}, "rows": table.to_pylist()}))
`;
  const result = spawnSync(pythonWith("pyarrow")!, ["-c", script, join(out, "rows.parquet")], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  const read = JSON.parse(result.stdout) as { types: Record<string, string>; rows: RolloutRow[] };
  assert.match(read.types["prompt_ids"]!, /^list<element: int32( not null)?>( not null)?$/);
  assert.match(read.types["response_logprobs"]!, /^list<element: double( not null)?>$/);
  assert.deepEqual(read.rows, readLines<RolloutRow>(join(out, "rows.jsonl")));
});

test("same inputs and seed give byte-identical files; a run killed after a group resumes without re-running it and ends identical", async () => {
  const first = tempDir();
  await rolloutRun(options(server, first));
  const again = tempDir();
  await rolloutRun(options(server, again));
  const files = ["steps.jsonl", "episodes.jsonl", "rows.jsonl", "rows.parquet", "trajectories.jsonl", "stats.json"];
  for (const file of files) assert.ok(readFileSync(join(first, file)).equals(readFileSync(join(again, file))), `${file} differs between two runs`);

  const resumed = tempDir();
  await assert.rejects(
    rolloutRun(
      options(server, resumed, {
        onProgress: (done) => {
          if (done === 2) throw new Error("killed");
        },
      }),
    ),
    /killed/,
  );
  const before = server.requests.length;
  await rolloutRun(options(server, resumed));
  const resentTasks = new Set(server.requests.slice(before).map((r) => tasks.find((t) => String((r.body as ChatBody).messages[1]!.content).startsWith(t.question))!.id));
  assert.deepEqual([...resentTasks].sort(), tasks.slice(2).map((t) => t.id).sort(), "only the groups not written before the kill ran again");
  for (const file of files) assert.ok(readFileSync(join(first, file)).equals(readFileSync(join(resumed, file))), `${file} differs after resuming`);
});

test("as 3 shards + acc merge: the files of one run, byte for byte (rows.parquet included)", async () => {
  const whole = tempDir();
  await rolloutRun(options(server, whole, { groupSize: 2 }));
  const shards = [0, 1, 2].map(() => tempDir());
  for (const [index, out] of shards.entries()) await rolloutRun(options(server, out, { groupSize: 2, shard: { index, count: 3 } }));
  const groups = shards.map((out) => (JSON.parse(readFileSync(join(out, "stats.json"), "utf8")) as { groups: number }).groups);
  assert.ok(groups.filter((n) => n > 0).length >= 2, `groups per shard: ${groups.join(", ")}`);
  const merged = join(tempDir(), "merged");
  await mergeRun(shards, merged, { overwrite: false });
  for (const file of ["steps.jsonl", "episodes.jsonl", "rows.jsonl", "rows.parquet", "trajectories.jsonl", "stats.json"]) {
    assert.ok(readFileSync(join(merged, file)).equals(readFileSync(join(whole, file))), `${file} differs from the unsharded run's`);
  }
});

test("acc rollout: the closing table; a bad task line is a usage error naming the file and line", async () => {
  const out = tempDir();
  const env = `sql:${exampleData().db}`;
  const args = ["rollout", "--env", env, "--tasks", SQL_TASKS, "--endpoint", server.url, "--model", "policy", "--group-size", "2", "--window", "4096", "--max-tokens", "64", "--max-steps", "4", "-o", out, "-q"];
  const ok = await runCli(args);
  assert.equal(ok.code, 0, ok.stderr);
  for (const metric of ["success rate", "overlong: step cap", "overlong: summary cap", "overlong: window", "summaries per episode", "summary token share"]) {
    assert.match(ok.stderr, new RegExp(`^${metric.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +\\S`, "m"));
  }
  const episodes = readLines<Episode>(join(out, "episodes.jsonl"));
  const rate = (100 * episodes.filter((e) => e.success).length) / episodes.length;
  assert.match(ok.stderr, new RegExp(`^success rate +${rate.toFixed(1)}%$`, "m"));

  const bad = join(tempDir(), "tasks.jsonl");
  writeFileSync(bad, `${JSON.stringify({ id: "a", question: "q", gold_sql: "SELECT 1" })}\n{"id": "b"}\n${JSON.stringify({ id: "c", question: "q" })}\nnot json\n`);
  const failed = await runCli(["rollout", "--env", env, "--tasks", bad, "--endpoint", server.url, "--model", "m", "-o", tempDir()]);
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, new RegExp(`${bad} line 2: not a rollout task: at question: expected string, received nothing`));
  assert.match(failed.stderr, new RegExp(`${bad} line 3: task "c": an sql task needs gold_sql or answer`));
  assert.match(failed.stderr, new RegExp(`${bad} line 4: invalid JSON`));
  const missing = await runCli(["rollout", "--env", "sql:/nonexistent.sqlite", "--tasks", bad, "--endpoint", server.url, "--model", "m", "-o", tempDir()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /sql environment: \/nonexistent\.sqlite does not exist/);
});
