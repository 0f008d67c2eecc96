import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Message } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("sharegpt-toolcall/glaive_toolcall_en_demo.json");

async function importRows(rows: unknown[]) {
  const file = join(tempDir(), "sft.jsonl");
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  return importAll([file]);
}

const calls = (messages: Message[]) => messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));

test("sharegpt: the glaive tool-call sample: rows, calls, results, pairs and final answers match a count of the raw file", { skip: SAMPLES_MISSING }, async () => {
  type Turn = { from: string; value: string };
  const rows = JSON.parse(readFileSync(FILE, "utf8")) as { conversations: Turn[]; tools: string }[];
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, rows.length);
  let totalCalls = 0;
  for (const [i, row] of rows.entries()) {
    const t = trajectories[i]!;
    assert.equal(t.source.format, "sharegpt");
    assert.equal(t.messages.length, row.conversations.length);
    const rawCalls = row.conversations
      .filter((turn) => turn.from === "function_call")
      .flatMap((turn) => {
        const value = JSON.parse(turn.value) as { name: string; arguments: unknown } | { name: string; arguments: unknown }[];
        return Array.isArray(value) ? value : [value];
      });
    const got = calls(t.messages);
    assert.deepEqual(got.map((c) => [c.name, c.arguments]), rawCalls.map((c) => [c.name, c.arguments]));
    totalCalls += got.length;
    const observations = row.conversations.filter((turn) => turn.from === "observation").map((turn) => turn.value);
    const results = t.messages.filter((m) => m.role === "tool");
    assert.deepEqual(results.map((r) => r.content), observations);
    // each observation answers the function_call right before it
    row.conversations.forEach((turn, k) => {
      if (turn.from !== "observation") return;
      const call = t.messages[k - 1];
      const result = t.messages[k];
      assert.ok(call?.role === "assistant" && result?.role === "tool" && result.call_id === call.tool_calls[0]!.id && result.pairing === "position");
    });
    const lastGpt = [...row.conversations].reverse().find((turn) => turn.from === "gpt");
    assert.equal(t.final.answer, lastGpt?.value ?? null);
    assert.equal(t.task.question, row.conversations.find((turn) => turn.from === "human")?.value);
    assert.deepEqual(t.tools?.map((tool) => tool.name), (JSON.parse(row.tools) as { name: string }[]).map((tool) => tool.name));
  }
  const functionCallTurns = rows.flatMap((row) => row.conversations).filter((turn) => turn.from === "function_call").length;
  assert.ok(totalCalls >= functionCallTurns && functionCallTurns > 0);
});

test("sharegpt: the LLaMA-Factory role/content variant with system, tools array, parallel calls and <think> reasoning", async () => {
  const { trajectories, rejects } = await importRows([
    {
      system: "You can call tools.",
      tools: [{ name: "get_time", description: "Current time", parameters: { type: "object", properties: { tz: { type: "string" } } } }],
      messages: [
        { role: "user", content: "Time in Tokyo and Paris?" },
        {
          role: "function_call",
          content: JSON.stringify([
            { name: "get_time", arguments: { tz: "Asia/Tokyo" } },
            { name: "get_time", arguments: '{"tz": "Europe/Paris"}' },
          ]),
        },
        { role: "observation", content: "09:00" },
        { role: "observation", content: "02:00" },
        { role: "assistant", content: "<think>Both times are in.</think>Tokyo 09:00, Paris 02:00.", loss: true },
      ],
      id: "row-7",
    },
  ]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "sharegpt");
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "tool", "assistant"]);
  const [tokyo, paris] = calls(t.messages);
  assert.deepEqual([tokyo!.raw_arguments, tokyo!.arguments], [null, { tz: "Asia/Tokyo" }]);
  assert.deepEqual([paris!.raw_arguments, paris!.arguments], ['{"tz": "Europe/Paris"}', { tz: "Europe/Paris" }]);
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(results.map((r) => r.role === "tool" && [r.call_id, r.name, r.source_role]), [
    [tokyo!.id, "get_time", "observation"],
    [paris!.id, "get_time", "observation"],
  ]);
  assert.deepEqual([t.final.answer, t.final.reasoning], ["Tokyo 09:00, Paris 02:00.", "Both times are in."]);
  assert.deepEqual(t.messages[5]!.extra, { loss: true });
  assert.equal(t.task.system_prompt, "You can call tools.");
  assert.deepEqual(t.tools?.[0]?.name, "get_time");
  assert.deepEqual(t.extra, { id: "row-7" });
});

test("sharegpt: plain human/gpt conversations import as sharegpt; tools that are not JSON stay in extra with a warning", async () => {
  const { trajectories, rejects } = await importRows([
    { conversations: [{ from: "human", value: "hello" }, { from: "gpt", value: "hi there" }], tools: "[{not json" },
  ]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "sharegpt");
  assert.equal(t.final.answer, "hi there");
  assert.equal(t.tools, undefined);
  assert.deepEqual(t.extra, { tools: "[{not json" });
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.field]), [["invalid-embedded-json", "tools"]]);
  assert.match(t.warnings?.[0]?.message ?? "", /tools: not valid JSON/);
});

test("sharegpt bad input: wrong types and unreadable function calls are rejected with the path", async () => {
  const good = { conversations: [{ from: "human", value: "q" }, { from: "gpt", value: "a" }] };
  const { trajectories, rejects } = await importRows([
    good,
    { conversations: [{ from: "human", value: "q" }, { from: "function_call", value: "{name: nope" }] },
    { conversations: [{ from: "human", value: "q" }, { from: "function_call", value: '{"arguments": {}}' }] },
    { conversations: [{ from: "human", value: 42 }] },
    { conversations: [{ from: "human", value: "q" }], tools: 5 },
    { conversations: [{ from: "human", value: "q" }, { from: "robot", value: "beep" }] },
    { conversations: [{ from: "human", value: "q" }], system: ["not", "a", "string"] },
  ]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(rejects.map((r) => r.locator.line), [2, 3, 4, 5, 6, 7]);
  const reasons = rejects.map((r) => r.reason);
  assert.match(reasons[0]!, /conversations\[1\]: a function_call value must be JSON \{name, arguments\}/);
  assert.match(reasons[1]!, /conversations\[1\]: the call's name: expected a string, got nothing/);
  assert.match(reasons[2]!, /conversations\[0\]\.value: expected a string, got a number/);
  assert.match(reasons[3]!, /tools: expected a JSON string or an array, got a number/);
  assert.match(reasons[4]!, /conversations\[1\]: expected a speaker of .*got "robot"/);
  assert.match(reasons[5]!, /system: expected a string, got an array/);
});
