import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { renderError } from "../../src/cli/errors.js";
import { AccError, UsageError } from "../../src/errors/acc-error.js";
import { describeSystemError } from "../../src/errors/system-error.js";
import { fromTransferable, toTransferable } from "../../src/errors/transfer.js";
import { readHead } from "../../src/io/lines.js";
import { LlmError } from "../../src/llm/types.js";
import { GitError } from "../../src/mine/git.js";
import { runCli } from "../helpers/collect.js";

test("an AccError from another copy of the module is recognised by its brand, not by instanceof", async () => {
  const copy = (await import(new URL("../../src/errors/acc-error.ts?second-copy", import.meta.url).href)) as typeof import("../../src/errors/acc-error.js");
  const foreign = new copy.UsageError("--x expects a number");
  assert.equal(foreign instanceof AccError, false, "a real second copy of the class");
  assert.equal(AccError.isInstance(foreign), true);
  assert.deepEqual(renderError(foreign, "import", false), { text: "acc: --x expects a number; see `acc import --help`\n", exitCode: 2 });
  assert.equal(AccError.isInstance(new Error("plain")), false);
  assert.equal(AccError.isInstance({ code: "usage", exitCode: 2, message: "looks like one" }), false, "a look-alike object is not branded");
});

test("library errors are AccErrors with their own codes; usage kinds exit 2, failures exit 1", () => {
  const llm = new LlmError("http", "HTTP 502: bad gateway", { url: "http://127.0.0.1:9/v1/chat/completions", attempt: 3, status: 502 });
  assert.deepEqual([AccError.isInstance(llm), llm.code, llm.exitCode], [true, "http", 1]);
  const git = new GitError("git log", "/tmp/r", 128, "fatal: not a git repository\n");
  assert.deepEqual([git.code, git.exitCode, git.gitExitCode], ["git", 1, 128]);
  assert.equal(new UsageError("x").exitCode, 2);
  assert.equal(new AccError("x", { code: "usage", fix: "do y" }).fix, "do y");
});

test("one line per error: the problem, then the fix; a stack only with debug", () => {
  const failed = new AccError("nothing imported: 3 of 3 records rejected", { fix: "see acc-import.rejects.jsonl" });
  assert.deepEqual(renderError(failed, "import", false), { text: "acc: nothing imported: 3 of 3 records rejected; see acc-import.rejects.jsonl\n", exitCode: 1 });
  const multiLine = new AccError("line one\nline two\n");
  assert.equal(renderError(multiLine, "x", false).text, "acc: line one | line two\n");
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
  const plain = renderError(bug, "compile", false);
  assert.deepEqual(plain, { text: "acc: internal error: Cannot read properties of undefined (reading 'x'); run with --debug for the stack, and report it\n", exitCode: 1 });
  const debug = renderError(new AccError("outer", { cause: bug }), "compile", true).text;
  assert.match(debug, /^acc: outer\nAccError: outer\n {4}at /);
  assert.match(debug, /caused by: TypeError: Cannot read properties/);
});

test("Node system errors name the path and what went wrong; path problems exit 2, resources exit 1", async () => {
  const missing = await readFile("/nonexistent/acc.jsonl").catch((error: unknown) => error);
  assert.deepEqual(describeSystemError(missing), { message: "cannot open /nonexistent/acc.jsonl: no such file or directory", exitCode: 2 });
  const folder = await readHead("/tmp", 10).catch((error: unknown) => error);
  assert.equal(describeSystemError(folder)?.message, "cannot read /tmp: is a directory, not a file");
  const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: "out/x.jsonl" });
  assert.deepEqual(describeSystemError(full), { message: "cannot write out/x.jsonl: no space left on device", fix: "free some space and run the command again", exitCode: 1 });
  const spawn = Object.assign(new Error("spawn git ENOENT"), { code: "ENOENT", syscall: "spawn git", path: "git" });
  assert.equal(describeSystemError(spawn)?.message, "cannot run git: not installed (not found on PATH)");
  assert.equal(describeSystemError(new Error("plain")), undefined);
});

test("errors cross a worker thread with their class, code, exit code and system fields", async () => {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     parentPort.on("message", (errors) => parentPort.postMessage(errors));`,
    { eval: true },
  );
  const missing = await readFile("/nonexistent/x").catch((error: unknown) => error);
  const sent = [toTransferable(new UsageError("--db: not a database", { flag: "--db", fix: "give a SQLite file" })), toTransferable(missing), toTransferable("a string")];
  const back = await new Promise<ReturnType<typeof toTransferable>[]>((resolve) => {
    worker.once("message", resolve);
    worker.postMessage(sent);
  });
  await worker.terminate();
  const [usage, system, text] = back.map(fromTransferable);
  assert.ok(AccError.isInstance(usage));
  assert.deepEqual([usage.name, usage.message, usage.exitCode, usage.code, usage.flag, usage.fix], ["UsageError", "--db: not a database", 2, "usage", "--db", "give a SQLite file"]);
  assert.equal(describeSystemError(system)?.message, "cannot open /nonexistent/x: no such file or directory");
  assert.equal(text!.message, "a string");
});

test("main: --debug anywhere (or ACC_DEBUG=1) adds the stack; commander's errors are one acc line, exit 2", async () => {
  const plain = await runCli(["export", "/nonexistent/samples.jsonl", "--to", "trl", "-o", "/tmp/acc-never-written"]);
  assert.deepEqual([plain.code, plain.stderr], [2, "acc: /nonexistent/samples.jsonl does not exist; see `acc export --help`\n"]);
  const debug = await runCli(["export", "/nonexistent/samples.jsonl", "--debug", "--to", "trl", "-o", "/tmp/acc-never-written"]);
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /^acc: \/nonexistent\/samples\.jsonl does not exist; see `acc export --help`\nUsageError: [^\n]*\n {4}at /);
  process.env.ACC_DEBUG = "1";
  try {
    const env = await runCli(["export", "/nonexistent/samples.jsonl", "--to", "trl", "-o", "/tmp/acc-never-written"]);
    assert.match(env.stderr, /\n {4}at /);
  } finally {
    delete process.env.ACC_DEBUG;
  }
  const unknown = await runCli(["import", "--no-such-flag", "x"]);
  assert.deepEqual([unknown.code, unknown.stderr], [2, "acc: unknown option '--no-such-flag'; see `acc import --help`\n"]);
  const typo = await runCli(["imprt"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^acc: unknown command 'imprt' \(Did you mean import\?\); see `acc --help`\n$/);
  const required = await runCli(["verify", "qa", "--answer", "a"]);
  assert.deepEqual([required.code, required.stderr], [2, "acc: required option '--gold <text>' not specified; see `acc verify qa --help`\n"]);
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--debug/);
});
