import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { importAll } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("openai-chat-tau-bench/gpt-4o-airline.json");

test("tau-bench: every run becomes a trajectory with its messages, calls, results and reward", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as { reward: number; traj: { role: string; tool_calls?: { id: string }[]; content: string | null }[] }[];
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, raw.length);
  for (const [i, run] of raw.entries()) {
    const t = trajectories[i]!;
    assert.equal(t.source.format, "tau-bench");
    assert.equal(t.messages.length, run.traj.length);
    const rawCalls = run.traj.flatMap((m) => m.tool_calls ?? []);
    const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
    assert.equal(calls.length, rawCalls.length);
    assert.deepEqual(calls.map((c) => c.id.split("~")[0]), rawCalls.map((c) => c.id));
    const results = t.messages.filter((m) => m.role === "tool");
    assert.equal(results.length, run.traj.filter((m) => m.role === "tool").length);
    // ids are unique after deduplication and every result points at a call of this trajectory
    assert.equal(new Set(calls.map((c) => c.id)).size, calls.length);
    const ids = new Set(calls.map((c) => c.id));
    for (const r of results) assert.ok(r.role === "tool" && r.call_id !== null && ids.has(r.call_id));
    assert.equal(t.outcome.reward, run.reward);
    assert.equal(t.outcome.success, run.reward >= 1);
  }
});

test("tau-bench: reused tool-call ids are deduplicated and still pair with the right result", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as { traj: { role: string; tool_calls?: { id: string }[]; tool_call_id?: string; content: string }[] }[];
  const reusing = raw.findIndex((run) => {
    const ids = run.traj.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id));
    return new Set(ids).size < ids.length;
  });
  assert.ok(reusing >= 0, "the sample has runs that reuse ids");
  const { trajectories } = await importAll([FILE]);
  const t = trajectories[reusing]!;
  const deduplicated = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : [])).filter((c) => c.id_origin === "deduplicated");
  assert.ok(deduplicated.length > 0);
  // Each result follows its call in the raw log; the k-th tool message answers the k-th call in order.
  const rawResults = raw[reusing]!.traj.filter((m) => m.role === "tool");
  const results = t.messages.filter((m) => m.role === "tool");
  results.forEach((r, k) => assert.equal(r.role === "tool" && r.content, rawResults[k]!.content));
  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  results.forEach((r, k) => assert.equal(r.role === "tool" && r.call_id, calls[k]!.id));
});
