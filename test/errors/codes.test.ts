import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { AccError, UsageError } from "../../src/errors/acc-error.js";
import { ERROR_CODES } from "../../src/errors/codes.js";
import { runCli, tempDir } from "../helpers/collect.js";

const SRC = new URL("../../src/", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

test("a plain Error is made only at internal invariants, each marked `// invariant:` on the line before", () => {
  const unmarked: string[] = [];
  let invariants = 0;
  for (const file of sourceFiles(SRC)) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (!/\b(new Error|throw Error)\(/.test(line)) return;
      if (/\/\/ invariant: \S/.test(lines[i - 1] ?? "")) invariants++;
      else unmarked.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(unmarked, [], "a failure a user can cause throws an AccError with a code (src/errors/codes.ts); an invariant says why no input can cause it");
  assert.ok(invariants > 0, "the scan finds the marked invariants (it reads src/)");
});

test("the code decides the exit code; docs/cli.md lists every code with its exit code and meaning", () => {
  assert.deepEqual([new AccError("x").code, new AccError("x").exitCode], ["failed", 1]);
  assert.deepEqual([new UsageError("x").code, new UsageError("x").exitCode], ["usage", 2]);
  assert.equal(new AccError("x", { code: "output-in-use" }).exitCode, 2);
  assert.equal(new UsageError("x", { code: "no-records" }).exitCode, 1, "the code, not the class, decides");
  const docs = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");
  const rows = [...docs.matchAll(/^\| `([a-z0-9-]+)` \| ([12]) \| (.+) \|$/gm)].map(([, code, exit, meaning]) => [code, Number(exit), meaning]);
  assert.deepEqual(rows, Object.entries(ERROR_CODES).map(([code, { exitCode, meaning }]) => [code, exitCode, meaning]));
});

test("every code in the table is thrown somewhere in src/ (no code without a failure)", () => {
  const text = sourceFiles(SRC)
    .filter((file) => !file.endsWith("errors/codes.ts"))
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
  const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`"${code}"`));
  assert.deepEqual(unused, []);
});

test("bad inputs to every command: one line naming the problem, no stack, exit 2", async () => {
  const out = tempDir();
  const missing = "/nonexistent/acc-input.jsonl";
  const runs: string[][] = [
    ["import", missing],
    ["inspect", missing],
    ["compile", missing, "-o", join(out, "c")],
    ["export", missing, "--to", "trl", "-o", join(out, "e")],
    ["eval", "mrcr", "--data", missing, "-o", join(out, "v"), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m"],
    ["mine", "/nonexistent/repo", "-o", join(out, "m.jsonl")],
    ["teach", missing, "-o", join(out, "t"), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m"],
    ["verify", "samples", missing, "-o", join(out, "s.jsonl")],
    ["rollout", "--tasks", missing, "-o", join(out, "r"), "--env", "sql:/nonexistent/db.sqlite", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m"],
    ["decontaminate", missing, "--against", missing, "-o", join(out, "d")],
    ["view", missing, "-o", join(out, "w")],
    ["merge", missing, "-o", join(out, "g")],
  ];
  for (const argv of [...runs, ["compile", "--bogus-flag"], ["frobnicate"]]) {
    const { code, stderr } = await runCli(argv);
    assert.equal(code, 2, `acc ${argv.join(" ")}: ${stderr}`);
    if (runs.includes(argv)) assert.match(stderr, /\/nonexistent\//, `acc ${argv.join(" ")} names the missing path`);
    assert.match(stderr, /^acc: [^\n]+\n$/, `acc ${argv.join(" ")}: one line`);
    assert.doesNotMatch(stderr, /internal error|\n\s+at /, `acc ${argv.join(" ")}`);
  }
  assert.deepEqual(readdirSync(out), [], "nothing written");
});
