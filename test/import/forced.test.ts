import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, runCli, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

test("--format naming an importer that would lose the file's tool calls rejects the file whole, naming the format that fits", { skip: SAMPLES_MISSING }, async () => {
  const cases: [string, string, RegExp][] = [
    // Codex lines read as Responses items: every line a trajectory with no message and no call.
    ["codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl", "openai-responses", /4 of the 4 tool calls of its first records are not read as calls.*use --format codex/],
    // Spider-Agent-TC turns read as ShareGPT turns: the calls would sit in extra, not be calls.
    ["sql-agent-spider-agent-tc/sf_bq024.json", "sharegpt", /tool calls of its first records are not read as calls.*use --format spider-agent/],
    // A MiroFlow result read as a Responses item list: one trajectory with nothing in it.
    ["search-agent-miroflow/task_result.json", "openai-responses", /no messages.*use --format miroflow/],
  ];
  for (const [file, format, reason] of cases) {
    const { trajectories, rejects } = await importAll([sample(file)], { format });
    assert.equal(trajectories.length, 0, `${file} as ${format}`);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]!.code, "wrong-shape");
    assert.match(rejects[0]!.reason, new RegExp(`^--format ${format} does not fit this file: `));
    assert.match(rejects[0]!.reason, reason);
  }
});

test("--format that fits is not second-guessed: the format detection picks, and one detection cannot tell", async () => {
  const llama = realFixture("llamafactory-reason-tool-use.jsonl");
  const { trajectories } = await importAll([llama], { format: "openai-chat" });
  assert.equal(trajectories.reduce((n, t) => n + t.messages.reduce((c, m) => c + (m.role === "assistant" ? m.tool_calls.length : 0), 0), 0), 16);
  // Rows detection does not recognise (no role names it knows) but openai-chat converts whole, calls and all.
  const file = join(tempDir(), "odd.jsonl");
  const row = {
    messages: [
      { role: "user", content: "weather in Oslo?" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", tool_call_id: "c1", content: "4°C" },
      { role: "assistant", content: "4°C in Oslo.", type: "final" },
    ],
  };
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  assert.equal((await importAll([file])).rejects[0]?.code, "unknown-format");
  const forced = await importAll([file], { format: "openai-chat" });
  assert.deepEqual(forced.rejects, []);
  assert.equal(forced.trajectories[0]!.messages.length, 4);
});

test("acc import --format on the wrong format exits 1 with the reason on one line", { skip: SAMPLES_MISSING }, async () => {
  const out = join(tempDir(), "out.jsonl");
  const { code, stderr } = await runCli(["import", sample("codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl"), "--format", "openai-responses", "-o", out, "-q"]);
  assert.equal(code, 1);
  assert.match(stderr, /read 1 = imported 0 \+ rejected 1/);
});
