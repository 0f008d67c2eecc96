import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { trajectoryToAtif } from "../../src/export/atif.js";
import { atifErrors } from "../../src/export/atif-check.js";
import { importAll, runCli, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/atif");
const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, "../../docs/schemas/atif.schema.json"), "utf8"));
const checkSchema = new Ajv2020({ strict: false, allErrors: true }).compile(SCHEMA);

const readJsonl = (file: string) => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));

/** Every real sample with the number of records in it, counted from the raw file. */
function rawSamples(): { path: string; records: number }[] {
  const json = (rel: string) => JSON.parse(readFileSync(sample(rel), "utf8"));
  const lines = (rel: string) => readFileSync(sample(rel), "utf8").split("\n").filter((l) => l.trim() !== "").length;
  return [
    // The session and one trajectory per sub-agent file beside it (with its compaction and links).
    { path: "claude-code-jsonl", records: 1 + readdirSync(sample("claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569/subagents")).filter((f) => f.endsWith(".jsonl")).length },
    { path: "codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl", records: 1 },
    { path: "mini-swe-agent/astropy__astropy-12907.traj.json", records: 1 },
    { path: "openai-chat-tau-bench/gpt-4o-airline.json", records: json("openai-chat-tau-bench/gpt-4o-airline.json").length },
    { path: "openhands-v0-events/basic_gui_mode.json", records: 1 },
    { path: "openhands-v1-sdk/openagentsafety_output.jsonl", records: lines("openhands-v1-sdk/openagentsafety_output.jsonl") },
    { path: "openhands-v1-sdk/persisted-conversation", records: 1 },
    { path: "search-agent-miroflow/task_result.json", records: 1 },
    { path: "sharegpt-toolcall/glaive_toolcall_en_demo.json", records: json("sharegpt-toolcall/glaive_toolcall_en_demo.json").length },
    { path: "sql-agent-spider-agent-tc/sf_bq024.json", records: 1 },
    { path: "swe-agent-traj/marshmallow-1867__function_calling_replace_from_source.traj", records: 1 },
    { path: "tau2-bench/airline_run1.json", records: json("tau2-bench/airline_run1.json").simulations.length },
    { path: "toolbench-dfs/G3_13_ChatGPT_DFS_woFilter_w2.json", records: 1 },
  ];
}

test("atif: acc → ATIF → acc is lossless on every real sample; every document passes the published JSON Schema", { skip: SAMPLES_MISSING }, async () => {
  const samples = rawSamples();
  const folders = readdirSync(sample(".")).filter((d) => statSync(sample(d)).isDirectory());
  assert.deepEqual([...new Set(samples.map((s) => s.path.split("/")[0]))].sort(), folders.sort(), "every sample folder is covered");
  let warned = 0;
  for (const { path, records } of samples) {
    const first = await importAll([sample(path)]);
    warned += first.trajectories.filter((t) => t.warnings !== undefined).length;
    assert.equal(first.trajectories.length, records, path);
    const input = join(tempDir(), "trajectories.jsonl");
    writeFileSync(input, first.trajectories.map((t) => JSON.stringify(t)).join("\n"));
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [input], outDir: out, target: "atif" });
    assert.deepEqual([stats.read, stats.exported, stats.rejected], [records, records, 0], path);
    const docs = readJsonl(join(out, "trajectories.atif.jsonl"));
    for (const doc of docs) assert.ok(checkSchema(doc), `${path}: ${JSON.stringify(checkSchema.errors?.slice(0, 2))}`);
    const back = await importAll([join(out, "trajectories.atif.jsonl")]);
    assert.equal(back.rejects.length, 0, path);
    assert.deepEqual(back.trajectories, first.trajectories, path);
  }
  assert.ok(warned > 0, "typed importer warnings are among what the round trip carries");
});

test("atif: the steps, calls and results of an export are the messages of the record, counted from the raw tau-bench file", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(sample("openai-chat-tau-bench/gpt-4o-airline.json"), "utf8"));
  const { trajectories } = await importAll([sample("openai-chat-tau-bench/gpt-4o-airline.json")]);
  const doc = trajectoryToAtif(trajectories[0]!);
  const traj = raw[0].traj as { role: string; tool_calls?: unknown[] }[];
  const count = (role: string) => traj.filter((m) => m.role === role).length;
  assert.equal(doc.steps.filter((s) => s.source === "agent").length, count("assistant"));
  assert.equal(doc.steps.filter((s) => s.source === "user").length, count("user"));
  assert.equal(doc.steps.flatMap((s) => s.tool_calls ?? []).length, traj.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0));
  assert.equal(doc.steps.flatMap((s) => s.observation?.results ?? []).length, count("tool"));
});

/** Drops what acc adds on export: `extra.acc` (acc's own fields) wherever it is. */
function withoutAcc(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAcc);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "extra" && v !== null && typeof v === "object") {
      const rest = Object.fromEntries(Object.entries(v).filter(([k]) => k !== "acc"));
      if (Object.keys(rest).length > 0) out[key] = withoutAcc(rest);
    } else out[key] = withoutAcc(v);
  }
  return out;
}

test("atif: Harbor's golden trajectories → acc → ATIF equal the input but for the version (v1.7) and extra.acc", async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
  assert.equal(files.length, 7);
  for (const file of files) {
    const raw = JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
    const { trajectories, rejects } = await importAll([join(FIXTURES, file)]);
    assert.equal(rejects.length, 0, file);
    assert.equal(trajectories.length, 1, file);
    const t = trajectories[0]!;
    // Counted from the raw document: agent steps are assistant messages, results are tool messages.
    const steps = raw.steps as { source: string; tool_calls?: unknown[]; observation?: { results: unknown[] } }[];
    assert.equal(t.messages.filter((m) => m.role === "assistant").length, steps.filter((s) => s.source === "agent").length, file);
    assert.equal(t.messages.filter((m) => m.role === "tool").length, steps.reduce((n, s) => n + (s.observation?.results.length ?? 0), 0), file);
    assert.equal(t.source.format_version, raw.schema_version);
    const out = trajectoryToAtif(t);
    assert.ok(checkSchema(out), file);
    assert.deepEqual(withoutAcc(out), { ...raw, schema_version: "ATIF-v1.7" }, file);
  }
});

test("atif: token ids, logprobs and metrics of a golden trajectory reach the record (message extra.atif)", async () => {
  const file = join(FIXTURES, "terminus-2_hello-world-timeout.trajectory.json");
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const { trajectories } = await importAll([file]);
  const rawAgent = raw.steps.filter((s: { source: string }) => s.source === "agent");
  const assistants = trajectories[0]!.messages.filter((m) => m.role === "assistant");
  assert.deepEqual(
    assistants.map((m) => (m.extra?.atif as { metrics?: unknown }).metrics),
    rawAgent.map((s: { metrics: unknown }) => s.metrics),
  );
  assert.ok(rawAgent.some((s: { metrics: { completion_token_ids?: number[] } }) => (s.metrics.completion_token_ids?.length ?? 0) > 0));
});

const V17 = {
  schema_version: "ATIF-v1.7",
  session_id: "s-1",
  trajectory_id: "main",
  agent: { name: "demo", version: "1", model_name: "qwen3-8b", tool_definitions: [{ type: "function", function: { name: "search", parameters: { type: "object" } } }] },
  steps: [
    { step_id: 1, source: "user", message: "old question", is_copied_context: true },
    { step_id: 2, source: "user", message: [{ type: "text", text: "look" }, { type: "image", source: { media_type: "image/png", path: "a.png" } }] },
    {
      step_id: 3,
      source: "agent",
      message: "",
      reasoning_content: "think",
      tool_calls: [{ tool_call_id: "c1", function_name: "search", arguments: { q: "x" }, extra: { cached: true } }],
      observation: { results: [{ source_call_id: "c1", content: "found", subagent_trajectory_ref: [{ trajectory_id: "sub-1" }] }] },
      metrics: { prompt_tokens: 3, completion_tokens: 2, prompt_token_ids: [1, 2, 3], completion_token_ids: [4, 5], logprobs: [-0.1, -0.2] },
      llm_call_count: 1,
    },
    { step_id: 4, source: "agent", message: "done" },
  ],
  subagent_trajectories: [{ schema_version: "ATIF-v1.7", trajectory_id: "sub-1", agent: { name: "helper", version: "1" }, steps: [{ step_id: 1, source: "user", message: "x" }, { step_id: 2, source: "agent", message: "y" }] }],
};

test("atif: a v1.7 document — embedded sub-agents become linked trajectories, content parts and copied context are kept, export gives it back", async () => {
  const file = join(tempDir(), "trajectory.json");
  writeFileSync(file, JSON.stringify(V17));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 2);
  const [main, sub] = trajectories;
  assert.equal(main!.source.format, "atif");
  assert.equal(main!.source.format_version, "ATIF-v1.7");
  assert.deepEqual(main!.subagents.map((s) => s.trajectory_id), ["sub-1", "sub-1"]);
  assert.deepEqual(sub!.parent, { trajectory_id: "main" });
  assert.equal(main!.messages[1]!.content, "look\n[image]");
  assert.equal((main!.messages[0]!.extra?.atif as { is_copied_context?: boolean }).is_copied_context, true);
  assert.deepEqual(main!.tools?.map((t) => t.name), ["search"]);
  // acc writes each trajectory as a document of its own, so the reference to the embedded sub-agent resolves
  // nowhere in it: Harbor's v1.8 validator refuses such a document, so the reference is kept under extra.acc.
  const out = trajectoryToAtif(main!);
  const { subagent_trajectories: _embedded, ...rest } = structuredClone(V17);
  delete (rest.steps[2]!.observation!.results[0] as { subagent_trajectory_ref?: unknown }).subagent_trajectory_ref;
  assert.deepEqual(withoutAcc(out), rest);
  const result = out.steps[2]!.observation!.results[0]!;
  assert.deepEqual((result.extra!.acc as { subagent_trajectory_ref: unknown }).subagent_trajectory_ref, [{ trajectory_id: "sub-1" }]);
  assert.deepEqual(atifErrors(out), []);
  assert.match(atifErrors({ ...out, steps: out.steps.map((step, i) => (i === 2 ? { ...step, observation: { results: [{ ...result, subagent_trajectory_ref: [{ trajectory_id: "sub-1" }] }] } } : step)) }).join("; "), /subagent_trajectory_ref\/0: has no trajectory_path, and its trajectory_id "sub-1" is not one of subagent_trajectories/);
  // Read back, the reference is the log's again.
  const back = join(tempDir(), "back.json");
  writeFileSync(back, JSON.stringify(out));
  const [again] = (await importAll([back])).trajectories;
  assert.deepEqual(again!.messages, main!.messages);
});

test("atif: a reference with no trajectory_path must name an embedded sub-agent in a v1.8 document (Harbor's v1.8 validator), and acc writes none", async () => {
  const v18 = { ...structuredClone(V17), schema_version: "ATIF-v1.8" };
  const file = join(tempDir(), "trajectory.json");
  writeFileSync(file, JSON.stringify(v18));
  assert.equal((await importAll([file])).rejects.length, 0, "embedded: resolved");
  const { subagent_trajectories: _embedded, ...alone } = v18;
  writeFileSync(file, JSON.stringify(alone));
  const refused = await importAll([file]);
  assert.equal(refused.trajectories.length, 0);
  assert.match(refused.rejects[0]!.reason, /subagent_trajectory_ref\/0: has no trajectory_path, and its trajectory_id "sub-1" is not one of subagent_trajectories/);
  // The same document declared v1.7 is read (v1.7's models resolve references elsewhere), and exported
  // with the reference under extra.acc, counted in the summary and on the card.
  writeFileSync(file, JSON.stringify({ ...alone, schema_version: "ATIF-v1.7" }));
  const { trajectories } = await importAll([file]);
  assert.equal(trajectories.length, 1);
  // With a document that has audio (written as v1.8): the card names both versions written.
  const audio = join(tempDir(), "audio.json");
  writeFileSync(audio, JSON.stringify(V18));
  const input = join(tempDir(), "trajectories.jsonl");
  writeFileSync(input, [trajectories[0], ...(await importAll([audio])).trajectories].map((t) => `${JSON.stringify(t)}\n`).join(""));
  const outDir = join(tempDir(), "atif");
  const stats = await exportTrajectories({ inputs: [input], outDir, target: "atif" });
  assert.equal(stats.subagentRefsKept, 1);
  assert.deepEqual(stats.atifVersions, { "ATIF-v1.7": 1, "ATIF-v1.8": 1 });
  const docs = readJsonl(join(outDir, "trajectories.atif.jsonl"));
  for (const doc of docs) assert.deepEqual(atifErrors(doc), []);
  const card = readFileSync(join(outDir, "README.md"), "utf8");
  assert.match(card, /Interchange Format \(ATIF-v1\.7: 1, ATIF-v1\.8: 1\)/);
  assert.match(card, /1 sub-agent references name no trajectory file and no embedded sub-agent/);
});

test("atif: documents that break Harbor's rules are rejected with the rule; a version older than its fields is warned about", async () => {
  const bad = (patch: (doc: typeof V17) => unknown) => patch(structuredClone(V17));
  const cases: [unknown, RegExp][] = [
    [bad((d) => ({ ...d, steps: d.steps.map((s, i) => ({ ...s, step_id: i + 2 })) })), /step_id: expected 1 \(sequential from 1\), got 2/],
    [bad((d) => { (d.steps[2]!.observation!.results[0] as { source_call_id: string }).source_call_id = "nope"; return d; }), /"nope" is not a tool_call_id of step 3/],
    [bad((d) => ({ ...d, steps: [{ step_id: 1, source: "user", message: "x", reasoning_content: "no" }] })), /reasoning_content: only agent steps have it/],
    [bad((d) => ({ ...d, schema_version: "ATIF-v2.0" })), /ATIF-v2\.0: not an ATIF version acc reads/],
    [bad((d) => ({ ...d, surprise: 1 })), /no unknown keys \(found surprise\)/],
    [bad((d) => ({ ...d, subagent_trajectories: [d.subagent_trajectories[0], d.subagent_trajectories[0]] })), /"sub-1" is not unique/],
  ];
  for (const [doc, reason] of cases) {
    const file = join(tempDir(), "t.json");
    writeFileSync(file, JSON.stringify(doc));
    const { trajectories, rejects } = await importAll([file], { format: "atif" });
    assert.equal(trajectories.length, 0, String(reason));
    assert.match(rejects[0]!.reason, reason);
  }
  const file = join(tempDir(), "t.json");
  writeFileSync(file, JSON.stringify({ schema_version: "ATIF-v1.2", session_id: "s", agent: { name: "a", version: "1" }, steps: [{ step_id: 1, source: "user", message: "x", is_copied_context: true }] }));
  const { trajectories } = await importAll([file]);
  assert.deepEqual(trajectories[0]!.warnings, [
    { code: "version-mismatch", message: "declares ATIF-v1.2 but uses is_copied_context (added in ATIF-v1.5)", field: "is_copied_context", name: "ATIF-v1.2" },
  ]);
  writeFileSync(file, JSON.stringify({ ...V17, schema_version: "ATIF-v1.9" }));
  const newer = await importAll([file]);
  assert.equal(newer.trajectories[0]!.source.format_version, "ATIF-v1.9");
  assert.deepEqual(newer.trajectories[0]!.warnings, [
    { code: "newer-version", message: "schema_version ATIF-v1.9 is newer than acc knows (ATIF-v1.8): read as v1.8", field: "schema_version", name: "ATIF-v1.9" },
  ]);
});

/** V17 with what v1.8 adds: audio parts (a canonical MIME type with a duration, and the `audio/mp3` alias Harbor accepts). */
const V18 = (() => {
  const doc = structuredClone(V17) as Omit<typeof V17, "subagent_trajectories"> & { subagent_trajectories?: unknown };
  doc.schema_version = "ATIF-v1.8";
  delete doc.subagent_trajectories;
  doc.steps[2]!.observation!.results[0]!.subagent_trajectory_ref = [{ trajectory_id: "sub-1", trajectory_path: "sub-1.json" } as never];
  (doc.steps[1] as { message: unknown }).message = [{ type: "text", text: "listen" }, { type: "audio", source: { media_type: "audio/wav", path: "q.wav", duration_sec: 2.5 } }];
  (doc.steps[2]!.observation!.results[0] as { content: unknown }).content = [{ type: "audio", source: { media_type: "audio/mp3", path: "answer.mp3" } }];
  return doc;
})();

test("atif: a v1.8 document — audio parts are read as [audio] and kept, the export writes it back as v1.8; audio that breaks the rules is rejected", async () => {
  const file = join(tempDir(), "trajectory.json");
  writeFileSync(file, JSON.stringify(V18));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const [t] = trajectories;
  assert.equal(t!.source.format_version, "ATIF-v1.8");
  assert.equal(t!.warnings, undefined, "no newer-version warning");
  assert.equal(t!.messages[1]!.content, "listen\n[audio]");
  assert.equal(t!.messages.find((m) => m.role === "tool")!.content, "[audio]");
  const out = trajectoryToAtif(t!);
  assert.ok(checkSchema(out), JSON.stringify(checkSchema.errors));
  assert.deepEqual(withoutAcc(out), V18);
  // Without the audio, the same record is written as v1.7.
  const [plain] = (await importAll([join(FIXTURES, "openhands_hello-world.trajectory.json")])).trajectories;
  assert.equal(trajectoryToAtif(plain!).schema_version, "ATIF-v1.7");

  const bad = (patch: (doc: typeof V18) => unknown) => patch(structuredClone(V18));
  const cases: [unknown, RegExp][] = [
    [bad((d) => { (d.steps[1] as { message: unknown }).message = [{ type: "audio", source: { media_type: "image/png", path: "a.png" } }]; return d; }), /an audio part has an image source \(media_type image\/png\)/],
    [bad((d) => { (d.steps[1] as { message: unknown }).message = [{ type: "image", source: { media_type: "audio/wav", path: "a.wav" } }]; return d; }), /an image part has an audio source/],
    [bad((d) => { (d.steps[1] as { message: unknown }).message = [{ type: "audio", source: { media_type: "audio/wav", path: "a.wav", duration_sec: -1 } }]; return d; }), /duration_sec/],
    [bad((d) => { d.steps[2]!.tool_calls!.push({ ...d.steps[2]!.tool_calls![0]! }); return d; }), /tool_call_id "c1" appears twice in step 3/],
  ];
  for (const [doc, reason] of cases) {
    writeFileSync(file, JSON.stringify(doc));
    const result = await importAll([file], { format: "atif" });
    assert.equal(result.trajectories.length, 0, String(reason));
    assert.match(result.rejects[0]!.reason, reason);
  }
  writeFileSync(file, JSON.stringify({ ...V18, schema_version: "ATIF-v1.7" }));
  assert.deepEqual((await importAll([file])).trajectories[0]!.warnings?.map((w) => [w.code, w.message]), [
    ["version-mismatch", "declares ATIF-v1.7 but uses audio content parts (added in ATIF-v1.8)"],
  ]);
});

test("atif: acc export --to atif from the CLI; samples given to it are refused line by line and nothing is written", async () => {
  const file = join(tempDir(), "trajectory.json");
  writeFileSync(file, JSON.stringify(V17));
  const imported = join(tempDir(), "trajectories.jsonl");
  assert.equal((await runCli(["import", file, "-o", imported])).code, 0);
  const out = join(tempDir(), "atif");
  const ok = await runCli(["export", imported, "--to", "atif", "-o", out]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /read 2 = exported 2 \+ rejected 0/);
  assert.equal(readJsonl(join(out, "trajectories.atif.jsonl")).length, 2);
  const notTrajectories = join(tempDir(), "samples.jsonl");
  writeFileSync(notTrajectories, `${JSON.stringify({ schema: "acc.sample" })}\n`);
  const refused = await runCli(["export", notTrajectories, "--to", "atif", "-o", join(tempDir(), "x")]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /all 1 lines were refused, nothing was written \(first: .*samples\.jsonl:1: not a valid trajectory/);
});
