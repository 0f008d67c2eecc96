import assert from "node:assert/strict";
import { test } from "node:test";
import { inferDomain } from "../../src/formats/domain.js";
import type { Message } from "../../src/records/trajectory.js";

function run(calls: [name: string, args: string, result: string][]): Message[] {
  return calls.flatMap(([name, args, result], i): Message[] => [
    { role: "assistant", content: null, reasoning: null, tool_calls: [{ id: `c${i}`, id_origin: "source", name, raw_arguments: args, arguments: null, type: "function" }] },
    { role: "tool", call_id: `c${i}`, name, content: result, is_error: false, pairing: "id" },
  ]);
}

test("domain: web tools and document-returning search are search; code search and airline search are not", () => {
  assert.equal(inferDomain(run([["web_search", '{"q":"x"}', "1. a https://a.example"]])), "search");
  assert.equal(inferDomain(run([["search", "who wrote x", 'Doc 1(Title: "X") X was written by Y.']])), "search");
  assert.equal(inferDomain(run([["search_dir", '{"term":"foo"}', "Found 3 matches in src/a.py"]])), "swe");
  assert.equal(inferDomain(run([["search_direct_flight", '{"origin":"JFK"}', '[{"flight_number":"HAT1"}]']])), "generic");
});

test("domain: SQL by tool name or by the SQL an agent runs through a shell; a task's database or repository decides", () => {
  assert.equal(inferDomain(run([["run_sql", '{"sql":"SELECT 1"}', "1"]])), "sql");
  assert.equal(inferDomain(run([["bash", '{"command":"sqlite3 db.sqlite \\"SELECT name FROM t\\""}', "a"], ["bash", '{"command":"ls"}', "x"]])), "sql");
  assert.equal(inferDomain(run([["bash", '{"command":"cat schema.csv"}', "a,b"]]), { database: { db_id: "x" } }), "sql");
  assert.equal(inferDomain(run([["web_search", "{}", "https://x"]]), { repo: { name: "o/r" } }), "swe");
  assert.equal(inferDomain(run([["str_replace_editor", '{"command":"view"}', "1 x"], ["bash", '{"command":"pytest"}', "ok"]])), "swe");
  assert.equal(inferDomain([{ role: "user", content: "hi" }]), "generic");
});
