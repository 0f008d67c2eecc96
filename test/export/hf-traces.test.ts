import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { claimOutputDir } from "../../src/io/output-dir.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const EXAMPLES = join(import.meta.dirname, "../../examples/logs");

function writeTrajectories(trajectories: Trajectory[]): string {
  const file = join(tempDir(), "trajectories.jsonl");
  writeFileSync(file, trajectories.map((t) => JSON.stringify(t)).join("\n"));
  return file;
}

/** A line of a session file: the header, or a message. */
interface StsLine {
  type: string;
  harness?: string;
  id?: string;
  source_format?: string;
  message?: { role: string; toolCalls?: { id: string; function: { arguments: unknown } }[]; toolCallId?: string };
}

function sessions(out: string): Map<string, StsLine[]> {
  const dir = join(out, "sessions");
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8").trim().split("\n").map((l) => JSON.parse(l))]));
}

/**
 * How `datasets` (5.x, packaged_modules/json) reads the files: it infers the features of the JSONL and
 * takes files with a string `type` and a JSON `message` for agent traces (then it decodes them with
 * `teich`, which the Hub has and this machine may not); parse_traces_info gives each session's harness
 * (from the `type` of its lines), id, first prompt, user-message and tool-call counts.
 */
const READER = `
import json, sys, glob
import datasets
from datasets.packaged_modules.json import json as hf_json
plain = datasets.load_dataset("json", data_files=sys.argv[1] + "/sessions/*.jsonl", split="train", parse_agent_traces=False)
info = {}
for path in sorted(glob.glob(sys.argv[1] + "/sessions/*.jsonl")):
    harness, session_id, prompt, sent_at, users, calls = hf_json.parse_traces_info(open(path, encoding="utf-8").read().splitlines())
    info[path.rsplit("/", 1)[1]] = {"harness": harness, "id": session_id, "prompt": prompt, "users": users}
try:
    datasets.load_dataset("json", data_files=sys.argv[1] + "/sessions/*.jsonl", split="train")
    decoded = "decoded"
except Exception as e:  # datasets wraps the ImportError in a DatasetGenerationError
    decoded = f"{e}: {e.__cause__ or e.__context__}"
print(json.dumps({"agent_traces": hf_json.has_agent_traces_markers(plain.features), "rows": plain.num_rows, "sessions": info, "decoded": decoded}))
`;

test("hf-traces: real sessions in the Hub's Session Trace Simple Format, counted from the raw files and read as datasets reads agent traces", { skip: SAMPLES_MISSING }, async () => {
  const claudeFile = sample("claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569.jsonl");
  const tauFile = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  let toolUses = 0;
  for (const line of readFileSync(claudeFile, "utf8").split("\n")) {
    if (!line) continue;
    const record = JSON.parse(line);
    if (record.type === "assistant" && Array.isArray(record.message?.content)) toolUses += record.message.content.filter((b: { type?: string }) => b.type === "tool_use").length;
  }
  const tauRaw = (JSON.parse(readFileSync(tauFile, "utf8")) as { traj: { role: string; content: string | null; tool_calls?: unknown[] }[] }[]).slice(0, 5);
  const claude = (await importAll([claudeFile])).trajectories;
  const tau = (await importAll([tauFile])).trajectories.slice(0, 5);
  const out = tempDir();
  const stats = await exportTrajectories({ inputs: [writeTrajectories([...claude, ...tau])], outDir: out, target: "hf-traces" });
  assert.deepEqual([stats.exported, stats.rejected], [6, 0]);
  const files = sessions(out);
  assert.equal(files.size, 6);

  const [claudeSession] = [...files.values()].filter((lines) => lines[0]!.harness === "claude-code");
  assert.ok(claudeSession, "the Claude Code session names the Hub's claude-code harness");
  const calls = claudeSession.flatMap((l) => l.message?.toolCalls ?? []);
  assert.equal(calls.length, toolUses, "every tool_use of the raw file is a toolCall");
  const ids = new Set(calls.map((c) => c.id));
  const results = claudeSession.filter((l) => l.message?.role === "tool");
  assert.ok(results.length > 0 && results.every((l) => ids.has(l.message!.toolCallId!)), "every tool result links to a call the viewer can stitch it to");
  assert.ok(calls.every((c) => typeof c.function.arguments === "string"), "arguments are JSON strings");

  tauRaw.forEach((raw, i) => {
    const lines = files.get(`${tau[i]!.id}.jsonl`)!;
    const { type, harness, id, source_format } = lines[0]!;
    assert.deepEqual({ type, harness, id, source_format }, { type: "session", harness: "acc", id: tau[i]!.id, source_format: "tau-bench" });
    assert.deepEqual(lines.slice(1).map((l) => [l.type, l.message!.role]), raw.traj.map((m) => ["message", m.role]));
    assert.equal(lines.slice(1).reduce((n, l) => n + (l.message!.toolCalls?.length ?? 0), 0), raw.traj.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0));
  });
  const card = readFileSync(join(out, "README.md"), "utf8");
  assert.match(card, /^---\n[\s\S]*configs:\n- config_name: default\n {2}data_files:\n {2}- split: train\n {4}path: sessions\/\*\.jsonl\n[\s\S]*?---\n/);
  assert.match(card, /tags:\n- agent-traces\n/);

  const python = pythonWith("datasets");
  if (python === undefined) return console.log(pythonMissing("datasets"));
  const result = spawnSync(python, ["-c", READER, out], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const read = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  assert.equal(read.agent_traces, true, "datasets takes the files for agent traces");
  assert.equal(read.rows, 6 + claude[0]!.messages.length + tauRaw.reduce((n, r) => n + r.traj.length, 0));
  assert.ok(read.decoded === "decoded" || /teich/.test(read.decoded), read.decoded);
  tauRaw.forEach((raw, i) => {
    const info = read.sessions[`${tau[i]!.id}.jsonl`];
    // datasets names the harness by the line types: a `session` header is Pi's, whose format STS follows.
    assert.deepEqual(info, { harness: "pi", id: tau[i]!.id, prompt: raw.traj.find((m) => m.role === "user")!.content, users: raw.traj.filter((m) => m.role === "user").length });
  });
});

test("hf-traces: secrets planted in a result, an argument and a reasoning never reach the session files; hostile ids stay inside sessions/", async () => {
  const [t] = (await importAll([join(EXAMPLES, "search-agents.jsonl")])).trajectories;
  const token = "ghp_Abcdefghijklmnopqrstuvwxyz0123456789";
  const key = "AKIA2OGYBAH6QWERTY7Z";
  const messages = t!.messages.map((m) => {
    if (m.role === "tool") return { ...m, content: `${m.content}\nGITHUB_TOKEN=${token}` };
    if (m.role === "assistant" && m.tool_calls.length > 0) {
      return { ...m, reasoning: `use key ${key}`, tool_calls: m.tool_calls.map((c) => ({ ...c, raw_arguments: JSON.stringify({ q: token }), arguments: { q: token } })) };
    }
    return m;
  });
  const hostile = [
    { ...t!, messages, id: "../../escape" },
    { ...t!, id: "/etc/passwd" },
    { ...t!, id: "a/b" },
    { ...t!, id: "a_b" },
  ] as Trajectory[];
  const out = tempDir();
  const stats = await exportTrajectories({ inputs: [writeTrajectories(hostile)], outDir: out, target: "hf-traces" });
  assert.equal(stats.exported, 4);
  const files = sessions(out);
  assert.equal(files.size, 4, "two ids that differ only in unsafe characters get two files");
  assert.deepEqual(readdirSync(out).sort(), ["README.md", "sessions"], "nothing is written outside the output folder's own files");
  assert.ok([...files.keys()].every((name) => /^[A-Za-z0-9_][A-Za-z0-9._-]*\.jsonl$/.test(name)), [...files.keys()].join(" "));
  const all = [...files.values()].flat().map((l) => JSON.stringify(l)).join("\n") + readFileSync(join(out, "README.md"), "utf8");
  assert.ok(!all.includes(token) && !all.includes(key), "no planted secret is written");
  assert.match(all, /<SECRET:/);
  assert.ok((stats.redacted["github-token"] ?? 0) + (stats.redacted["aws-access-key"] ?? 0) >= 2, JSON.stringify(stats.redacted));
  const escaped = [...files.entries()].find(([, lines]) => lines[0]!.id === "../../escape")![1];
  assert.equal(escaped.length, 1 + messages.length);
});

/**
 * The real `hf upload` CLI (huggingface_hub), with the Hub calls replaced: it parses the card's command,
 * picks the folder's files as it would upload them (upload_folder's own listing and patterns), prints
 * them and stops before the network.
 */
const UPLOAD = `
import sys
from huggingface_hub import HfApi
from huggingface_hub.hf_api import RepoUrl
prepare = HfApi._prepare_upload_folder_additions
def additions(self, *args, **kwargs):
    for op in prepare(self, *args, **kwargs):
        print("UPLOAD", op.path_in_repo)
    raise SystemExit(0)
HfApi.create_repo = lambda self, repo_id, **kwargs: RepoUrl(f"https://huggingface.co/datasets/{repo_id}")
HfApi._prepare_upload_folder_additions = additions
HfApi._validate_yaml = lambda self, content, **kwargs: None
from huggingface_hub.cli.hf import main
sys.argv = ["hf", *sys.argv[1:]]
main()
`;

test("hf-traces: the card's hf upload command sends the card and the sessions, not acc's .acc-output.json or rejects.jsonl", async (t) => {
  const python = pythonWith("huggingface_hub");
  if (python === undefined) return t.skip(pythonMissing("huggingface_hub") || undefined);
  const [trajectory] = (await importAll([join(EXAMPLES, "search-agents.jsonl")])).trajectories;
  const out = tempDir();
  await claimOutputDir(out, { stage: "export", target: "hf-traces" }, { overwrite: false });
  const input = writeTrajectories([trajectory!]);
  writeFileSync(input, `${readFileSync(input, "utf8")}\nnot json\n`);
  await exportTrajectories({ inputs: [input], outDir: out, target: "hf-traces" });
  assert.deepEqual(readdirSync(out).sort(), [".acc-output.json", "README.md", "rejects.jsonl", "sessions"]);
  const command = readFileSync(join(out, "README.md"), "utf8").split("\n").find((line) => line.startsWith("hf upload "));
  assert.ok(command, "the card says how to upload");
  const argv = [...command.matchAll(/"[^"]*"|\S+/g)].map(([word]) => word.replace(/^"|"$/g, "").replace("<username>/<dataset-name>", "someone/traces"));
  const upload = (args: string[]) => {
    const run = spawnSync(python, ["-c", UPLOAD, ...args], { cwd: out, encoding: "utf8", env: { ...process.env, HF_HUB_DISABLE_TELEMETRY: "1" } });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.split("\n").flatMap((line) => (line.startsWith("UPLOAD ") ? [line.slice(7)] : []));
  };
  const sent = upload(argv.slice(1));
  assert.deepEqual(sent, ["README.md", ...readdirSync(join(out, "sessions")).map((name) => `sessions/${name}`)]);
  assert.ok(upload(["upload", "someone/traces", ".", "--repo-type", "dataset"]).includes(".acc-output.json"), "a bare folder upload would send the bookkeeping (what the --include words prevent)");
});
