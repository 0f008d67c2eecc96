import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { finishTrajectory } from "../../src/formats/common/finish.js";
import type { TrajectoryDraft } from "../../src/formats/types.js";
import { importToFiles } from "../../src/import/write.js";
import { AtomicFile } from "../../src/io/atomic.js";
import { Redactor } from "../../src/privacy/redactor.js";
import { redactText } from "../../src/privacy/scan.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { importAll, runCli, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";
import { CorpusBuilder } from "./corpus.js";

const b = new CorpusBuilder(21);
const S = {
  aws: b.awsAccessKey(),
  github: b.githubToken(),
  openai: b.openaiKey(),
  email: b.email(),
  user: b.userName(),
  key: b.privateKey(false),
  password: b.password(),
  sqlSecret: b.genericSecret(),
  jwt: b.jwt(),
  slack: b.slackToken(),
  npm: b.npmToken(),
  stripe: b.stripeKey(),
  hf: b.huggingfaceToken(),
  anthropic: b.anthropicKey(),
};

/** A draft with one secret in each kind of text a trajectory holds; `expected` counts them by type. */
function draft(): TrajectoryDraft {
  const args = { command: `export GITHUB_TOKEN=${S.github} && gh api user`, env: { OPENAI_API_KEY: S.openai } };
  return {
    locator: { line: 1 },
    task: { question: `Why does /home/${S.user}/app fail?`, question_origin: "dataset_field", repo: { url: `https://ci:${S.password}@git.acme.io/app.git` } },
    tools: [{ name: "bash", description: `Runs commands; contact ${S.email} for access` }],
    messages: [
      { role: "system", content: "You are a coding agent." },
      { role: "user", content: `My key is ${S.aws}, please rotate it.`, extra: { npm: S.npm } },
      {
        role: "assistant",
        content: null,
        reasoning: `The token ${S.hf} is in the env.`,
        tool_calls: [{ id: "c1", name: "bash", raw_arguments: JSON.stringify(args), arguments: args, type: "function" }],
      },
      { role: "tool", call_id: "c1", name: "bash", content: `${S.key.block}\n`, is_error: false },
    ],
    final: { answer: `Rotated; the new session is ${S.jwt}.`, reasoning: null, kind: "message" },
    outcome: { submitted_patch: `+SLACK_BOT_TOKEN=${S.slack}\n`, submitted_sql: `UPDATE keys SET api_key = '${S.sqlSecret}'` },
    events: [{ kind: "summary", message_index: 3, summary: `Used ${S.stripe}.`, marker: "summary" }],
    warnings: [{ code: "agent-error", message: `line 7: unparsed ${S.anthropic}` }],
    extra: { owner: S.email },
  };
}

const expected = {
  "aws-access-key": 1,
  "github-token": 1,
  "openai-key": 1,
  "anthropic-key": 1,
  "huggingface-token": 1,
  "slack-token": 1,
  "stripe-key": 1,
  "npm-token": 1,
  "private-key": 1,
  jwt: 1,
  password: 1,
  "generic-secret": 1,
  email: 2,
  "home-user": 1,
};

function finish(redact: "on" | "report" | "off"): Trajectory {
  const result = finishTrajectory(draft(), { format: "test", file: "t.jsonl", redact });
  assert.ok(result.ok);
  return result.trajectory;
}

test("every text of a trajectory is redacted, the record counts each secret once by type, and tool arguments still parse to their parsed twin", () => {
  const t = finish("on");
  const json = JSON.stringify(t);
  for (const [name, value] of Object.entries(S)) {
    const secret = typeof value === "string" ? value : value.body;
    assert.ok(!json.includes(secret), `${name} leaked`);
  }
  assert.deepEqual(t.secrets, { mode: "redacted", counts: expected });
  assert.ok(Trajectory.safeParse(t).success);
  const call = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []))[0]!;
  assert.deepEqual(JSON.parse(call.raw_arguments!), call.arguments);
  assert.equal(t.task.question, "Why does /home/<SECRET:home-user>/app fail?");
  assert.equal(t.task.repo?.url, "https://ci:<SECRET:password>@git.acme.io/app.git");
});

test("report mode changes no text and counts the same; off adds nothing", () => {
  const off = finish("off");
  const report = finish("report");
  assert.equal(off.secrets, undefined);
  const { secrets, ...rest } = report;
  assert.deepEqual(rest, off);
  assert.deepEqual(secrets, { mode: "reported", counts: expected });
});

test("a redacted trajectory read back (acc-trajectory) is the same record with the same counts", async () => {
  const dir = tempDir();
  const file = join(dir, "redacted.jsonl");
  writeFileSync(file, `${JSON.stringify(finish("on"))}\n`);
  const again = await importAll([file], { redact: "on" });
  assert.equal(again.trajectories.length, 1);
  assert.deepEqual(again.trajectories[0], finish("on"));
});

const secretValue = fc.constantFrom(...Object.values(S).flatMap((v) => (typeof v === "string" ? [v] : [v.block, v.block.slice(0, 150), v.block.slice(0, 211)])));
const filler = fc.string({ unit: "binary", maxLength: 12 });
const text = fc.oneof(
  secretValue,
  fc.tuple(filler, secretValue, filler).map(([a, s, z]) => `${a}${s}${z}`),
  fc.tuple(fc.constantFrom("token=", "PASSWORD: ", '"client_secret": "', "\n/home/", "C:\\Users\\", "mail "), secretValue, filler).map(([k, s, z]) => `${k}${s}${z}`),
  fc.string({ unit: "binary", maxLength: 30 }),
);
const key = fc.constantFrom("token", "password", "api_key", "client_secret", "AWS_SECRET_ACCESS_KEY", "tokenizer", "my key", "command", "path", "x");
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.constant(null), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(key, tie("value"), { maxKeys: 4 })),
})).value;

test("property: a tool call's raw JSON arguments, redacted, still parse and equal its redacted parsed arguments", () => {
  fc.assert(
    fc.property(json, fc.constantFrom(undefined, 2), fc.boolean(), (value, indent, asciiOnly) => {
      // JSON.stringify's escapes, or every non-ASCII and control character as \uXXXX (as Python's json.dumps writes them).
      let raw = JSON.stringify(value, null, indent) ?? "null";
      if (asciiOnly) raw = raw.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      const call = { id: "c", name: "f", type: "function" as const, raw_arguments: raw, arguments: JSON.parse(raw) as unknown };
      const t = finishTrajectory({ locator: { line: 1 }, messages: [{ role: "user", content: "q" }, { role: "assistant", content: null, reasoning: null, tool_calls: [call] }] }, { format: "test", file: "t.jsonl", redact: "on" });
      assert.ok(t.ok);
      const redacted = t.trajectory.messages[1]!.role === "assistant" ? t.trajectory.messages[1]!.tool_calls[0]! : assert.fail();
      assert.deepEqual(JSON.parse(redacted.raw_arguments!), redacted.arguments);
      assert.deepEqual(redacted.arguments, new Redactor("on").value(JSON.parse(raw)));
    }),
    { seed: 8, numRuns: 500 },
  );
});

test("property: a JSON document in a text (a tool's output) stays valid JSON after redaction", () => {
  fc.assert(
    fc.property(json, fc.constantFrom(undefined, 2), (value, indent) => {
      const raw = JSON.stringify(value, null, indent) ?? "null";
      JSON.parse(redactText(raw));
    }),
    { seed: 9, numRuns: 500 },
  );
});

test("parallel import (2 worker threads over a file of many chunks) redacts and counts exactly as in-process import", async () => {
  const dir = tempDir();
  const rows: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const secret = i % 7 === 0 ? ` key ${b.awsAccessKey()} from ${b.email()}` : "";
    rows.push(JSON.stringify({ messages: [{ role: "user", content: `question ${i}${secret} ${"pad ".repeat(800)}` }, { role: "assistant", content: `answer ${i}` }] }));
  }
  // Over 8 MiB, so it is cut into chunks and handed to worker threads.
  const file = join(dir, "rows.jsonl");
  writeFileSync(file, `${rows.join("\n")}\n`);
  const run = async (workers: number) => {
    const out = join(dir, `out-${workers}.jsonl`);
    const stats = await importToFiles([file], { output: await AtomicFile.create(out), rejectsPath: join(dir, "rejects.jsonl"), onError: "skip", workers, redact: "on" });
    return { out: readFileSync(out, "utf8"), stats: stats.toJSON() };
  };
  const single = await run(1);
  const parallel = await run(2);
  assert.equal(parallel.out, single.out);
  assert.deepEqual(parallel.stats, single.stats);
  const planted = Math.ceil(3000 / 7);
  assert.deepEqual(single.stats.secrets, { "aws-access-key": planted, email: planted });
  assert.equal(single.stats.trajectories_with_secrets, planted);
  assert.ok(!/AKIA[A-Z0-9]{16}/.test(single.out));
});

test("acc import: on by default, with the findings by type in the summary; report keeps the text; off records nothing; a reject's reason is redacted", async () => {
  const dir = tempDir();
  const file = join(dir, "in.jsonl");
  const rows = [
    { messages: [{ role: "user", content: `deploy with ${S.github}` }, { role: "assistant", content: `done, mailed ${S.email}` }] },
    { messages: [{ role: S.aws, content: "x" }] },
    { messages: [{ role: "user", content: "nothing secret" }, { role: "assistant", content: "ok" }] },
  ];
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  const run = async (...flags: string[]) => {
    const out = join(dir, `out${flags.join("")}.jsonl`);
    const result = await runCli(["import", file, "-o", out, "-q", ...flags]);
    assert.equal(result.code, 0, result.stderr);
    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Trajectory);
    return { ...result, lines, out, rejects: readFileSync(`${out}.rejects.jsonl`, "utf8") };
  };
  const on = await run();
  assert.ok(!JSON.stringify(on.lines).includes(S.github) && !JSON.stringify(on.lines).includes(S.email));
  assert.ok(!on.rejects.includes(S.aws), on.rejects);
  assert.match(on.stderr, /github-token\s+1/);
  assert.match(on.stderr, /email\s+1/);
  assert.match(on.stderr, /secrets redacted: 2 in 1 trajectories/);
  assert.deepEqual(on.lines[0]!.secrets, { mode: "redacted", counts: { "github-token": 1, email: 1 } });
  assert.equal(on.lines[1]!.secrets, undefined);

  const report = await run("--redact", "report");
  assert.equal(report.lines[0]!.messages[0]!.content, `deploy with ${S.github}`);
  assert.deepEqual(report.lines[0]!.secrets, { mode: "reported", counts: { "github-token": 1, email: 1 } });
  assert.match(report.stderr, /secrets found \(report only, not redacted\): 2 in 1 trajectories/);

  const off = await run("--redact", "off");
  assert.equal(off.lines[0]!.secrets, undefined);
  assert.doesNotMatch(off.stderr, /secrets/);

  const bad = await runCli(["import", file, "-q", "--redact", "maybe"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--redact expects one of on, report, off/);
});

test("conformance: the Codex sample's unredacted home folder is gone from every text, and counted", async (t) => {
  if (SAMPLES_MISSING) return t.skip(SAMPLES_MISSING);
  const file = sample("codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl");
  const raw = readFileSync(file, "utf8");
  const user = /\/Users\/([^/"\\]+)\//.exec(raw)![1]!;
  const inRaw = raw.split(`/Users/${user}/`).length - 1;
  assert.ok(inRaw > 0);
  const { trajectories } = await importAll([file], { redact: "on" });
  const { source: _, ...texts } = trajectories[0]!;
  const json = JSON.stringify(texts);
  assert.ok(!json.includes(user), `${user} left in the trajectory`);
  const counted = trajectories.reduce((n, t) => n + (t.secrets?.counts["home-user"] ?? 0), 0);
  const placeholders = json.split("/Users/<SECRET:home-user>/").length - 1;
  assert.ok(counted > 0 && counted <= placeholders, `${counted} counted, ${placeholders} placeholders, ${inRaw} in the raw file`);
});
