import assert from "node:assert/strict";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, runCli, tempDir } from "../helpers/collect.js";

const chatRow = (q: string) => JSON.stringify({ messages: [{ role: "user", content: q }, { role: "assistant", content: `answer to ${q}` }] });

test("a JSONL file with truncated JSON, wrong types and invalid UTF-8 lines: each bad line rejected with its line, the rest imported", async () => {
  const file = join(tempDir(), "mixed.jsonl");
  const lines = [
    chatRow("one"),
    '{"messages": [{"role": "user", "content": "trunc',
    JSON.stringify({ messages: [{ role: "user", content: "x" }, { role: "robot", content: "y" }] }),
    JSON.stringify({ messages: [{ role: "assistant", content: "a", tool_calls: [{ id: "c", function: { name: 7 } }] }] }),
    chatRow("two"),
  ];
  writeFileSync(file, Buffer.concat([Buffer.from(`${lines.join("\n")}\n{"messages":"`), Buffer.from([0xfe]), Buffer.from('"}\n')]));
  const { trajectories, rejects } = await importAll([file]);
  assert.deepEqual(trajectories.map((t) => t.source.locator.line), [1, 5]);
  assert.deepEqual(
    rejects.map((r) => [r.locator.line, r.code]),
    [[2, "invalid-json"], [3, "wrong-shape"], [4, "wrong-shape"], [6, "invalid-utf8"]],
  );
  assert.match(rejects[1]!.reason, /messages\[1\]\.role/);
  assert.match(rejects[2]!.reason, /tool_calls\[0\]\.function\.name/);
  assert.ok(rejects.every((r) => r.file === file && r.scope === "record"));
});

test("empty files, unknown formats and truncated JSON documents are rejected whole with a reason", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "empty.jsonl"), "");
  writeFileSync(join(dir, "blank.json"), "\n  \n");
  writeFileSync(join(dir, "unknown.json"), JSON.stringify({ hello: "world", n: 1 }));
  writeFileSync(join(dir, "truncated.json"), '[\n  {"messages": [\n');
  const { trajectories, rejects } = await importAll([dir]);
  assert.equal(trajectories.length, 0);
  const byFile = Object.fromEntries(rejects.map((r) => [r.file.slice(dir.length + 1), r]));
  assert.equal(byFile["empty.jsonl"]?.code, "empty-file");
  assert.equal(byFile["blank.json"]?.code, "empty-file");
  assert.equal(byFile["unknown.json"]?.code, "unknown-format");
  assert.match(byFile["unknown.json"]!.reason, /keys hello, n.*--format/);
  assert.equal(byFile["truncated.json"]?.code, "invalid-json");
});

test("a 200 MB single line is rejected by the line limit, not read into memory, and the file's other lines import", async () => {
  const file = join(tempDir(), "huge.jsonl");
  const fd = openSync(file, "w");
  writeSync(fd, `${chatRow("before")}\n{"messages":[{"role":"user","content":"`);
  const block = "z".repeat(1 << 20);
  for (let i = 0; i < 200; i++) writeSync(fd, block);
  writeSync(fd, `"}]}\n${chatRow("after")}\n`);
  closeSync(fd);
  const before = process.memoryUsage().rss;
  const { trajectories, rejects } = await importAll([file]);
  const grown = process.memoryUsage().rss - before;
  assert.deepEqual(trajectories.map((t) => t.source.locator.line), [1, 3]);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.code, "line-too-long");
  assert.equal(rejects[0]!.locator.line, 2);
  assert.ok(grown < 150 * 1024 * 1024, `RSS grew by ${grown} bytes`);
});

test("a directory of mixed formats: each file detected on its own, non-JSON files skipped, gzip read", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "nested"));
  writeFileSync(join(dir, "chat.jsonl"), `${chatRow("a")}\n${chatRow("b")}\n`);
  writeFileSync(
    join(dir, "nested", "tau.json"),
    JSON.stringify([{ task_id: 1, reward: 1, info: {}, traj: [{ role: "user", content: "hi" }], trial: 0 }]),
  );
  writeFileSync(join(dir, "notes.md"), "# not data\n");
  const { gzipSync } = await import("node:zlib");
  writeFileSync(join(dir, "more.jsonl.gz"), gzipSync(`${chatRow("c")}\n`));
  const { trajectories, rejects, skipped } = await importAll([dir]);
  assert.equal(rejects.length, 0);
  assert.deepEqual(skipped, [join(dir, "notes.md")]);
  assert.deepEqual(
    trajectories.map((t) => `${t.source.file.slice(dir.length + 1)}:${t.source.format}`),
    ["chat.jsonl:openai-chat", "chat.jsonl:openai-chat", "more.jsonl.gz:openai-chat", "nested/tau.json:tau-bench"],
  );
});

test("--format forces an importer and an unknown one is a usage error", async () => {
  const file = join(tempDir(), "chat.jsonl");
  writeFileSync(file, `${chatRow("a")}\n`);
  const { trajectories } = await importAll([file], { format: "openai-chat" });
  assert.equal(trajectories.length, 1);
  await assert.rejects(importAll([file], { format: "nope" }), /unknown format "nope"; known formats: .*openai-chat/);
  await assert.rejects(importAll([join(tempDir(), "missing.jsonl")]), /missing\.jsonl does not exist/);
});

test("a JSONL file whose lines are arrays (Responses item lists) is read as JSONL, not as one broken document", async () => {
  const file = join(tempDir(), "items.jsonl");
  const row = (q: string) =>
    JSON.stringify([
      { type: "message", role: "user", content: q },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: `re: ${q}` }] },
    ]);
  writeFileSync(file, `${row("a")}\n${row("b")}\n`);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.deepEqual(trajectories.map((t) => [t.source.format, t.source.locator.line, t.final.answer]), [
    ["openai-responses", 1, "re: a"],
    ["openai-responses", 2, "re: b"],
  ]);
});

test("a first row larger than the detection head (real OpenHands rows reach several MB) is read whole: 3 rows read, 3 imported", async () => {
  const file = join(tempDir(), "big-first.jsonl");
  const output = "x".repeat(6 * 1024 * 1024);
  const big = JSON.stringify({
    messages: [
      { role: "user", content: "read the log" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "read", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: output },
      { role: "assistant", content: "done" },
    ],
  });
  writeFileSync(file, `${big}\n${chatRow("two")}\n${chatRow("three")}\n`);
  for (const options of [{}, { format: "openai-chat" }]) {
    const { trajectories, rejects } = await importAll([file], options);
    assert.deepEqual(rejects, []);
    assert.deepEqual(trajectories.map((t) => t.source.locator.line), [1, 2, 3]);
    assert.equal(trajectories[0]!.messages[2]!.content?.length, output.length);
  }
  // The file path of the CLI (chunks, a worker pool) counts the same.
  const out = join(tempDir(), "out.jsonl");
  const { code, stderr } = await runCli(["import", file, "-o", out, "-q", "--workers", "2"]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /read 3 = imported 3 \+ rejected 0/);
  // A first row over --max-line-bytes is one line reject; the rows after it still import.
  const limited = await importAll([file], { maxLineBytes: 1024 * 1024 });
  assert.deepEqual(limited.trajectories.map((t) => t.source.locator.line), [2, 3]);
  assert.deepEqual(limited.rejects.map((r) => [r.locator.line, r.code]), [[1, "line-too-long"]]);
});

test("lone UTF-16 surrogates (\\ud800 escapes) anywhere in a record become U+FFFD, are counted, and every output is valid UTF-8", async () => {
  const file = join(tempDir(), "surrogates.jsonl");
  // As JSON text: escapes a JSON reader turns into half of a pair, in a tool output, a key and an argument.
  const line =
    '{"messages":[{"role":"user","content":"list"},' +
    '{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"ls","arguments":"{\\"path\\": \\"a\\\\udc80b\\"}"}}]},' +
    '{"role":"tool","tool_call_id":"c1","content":"bad byte: \\ud800 then a pair \\ud83d\\ude00 fine"}],' +
    '"meta":{"k\\udfff":"v"}}';
  writeFileSync(file, `${line}\n${chatRow("clean")}\n`);
  // Counted here from the parsed line, code unit by code unit.
  let loneInSource = 0;
  const scan = (v: unknown): void => {
    const units = (t: string) => {
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const high = c >= 0xd800 && c <= 0xdbff;
        const low = c >= 0xdc00 && c <= 0xdfff;
        if (high && i + 1 < t.length && t.charCodeAt(i + 1) >= 0xdc00 && t.charCodeAt(i + 1) <= 0xdfff) i++;
        else if (high || low) loneInSource++;
      }
    };
    if (typeof v === "string") units(v);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        units(k);
        scan(x);
      }
    }
  };
  const row = JSON.parse(line) as { messages: { tool_calls?: { function: { arguments: string } }[] }[] };
  scan(row);
  scan(JSON.parse(row.messages[1]!.tool_calls![0]!.function.arguments));
  assert.equal(loneInSource, 3, "a tool output, a key and the parsed arguments hold one each");

  const out = join(tempDir(), "out.jsonl");
  const summary = join(tempDir(), "summary.json");
  const { code, stderr } = await runCli(["import", file, "-o", out, "-q", "--redact", "off", "--summary-json", summary]);
  assert.equal(code, 0, stderr);
  const text = readFileSync(out, "utf8");
  const [first, second] = text.trim().split("\n").map((l) => JSON.parse(l) as Trajectory);
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        strings.push(k);
        collect(x);
      }
    }
  };
  collect(first);
  assert.ok(strings.every((s) => s.isWellFormed()));
  const tool = first!.messages.find((m) => m.role === "tool")!;
  assert.equal(tool.content, "bad byte: \uFFFD then a pair \u{1F600} fine");
  assert.ok(Object.keys(first!.extra.meta as object).includes("k\uFFFD"));
  // The raw argument text is kept verbatim (its escape is six characters of text); its parsed value is repaired.
  const call = first!.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []))[0]!;
  assert.equal(call.raw_arguments, row.messages[1]!.tool_calls![0]!.function.arguments);
  assert.deepEqual(call.arguments, { path: "a\uFFFDb" });
  assert.deepEqual(first!.warnings!.map((w) => [w.code, w.count]), [["lone-surrogates", 3]]);
  assert.match(first!.warnings![0]!.message, /replaced 3 lone UTF-16 surrogates/);
  assert.equal(second!.warnings, undefined);
  const stats = JSON.parse(readFileSync(summary, "utf8")) as { lone_surrogates: number; trajectories_with_lone_surrogates: number };
  assert.deepEqual([stats.lone_surrogates, stats.trajectories_with_lone_surrogates], [3, 1]);
  assert.match(stderr, /lone UTF-16 surrogates replaced with U\+FFFD: 3 in 1 trajectories/);
});
