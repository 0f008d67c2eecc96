// The public API as a user gets it: the package built, installed in a project's node_modules and imported
// by name. Its runtime names must be exactly those docs/api.md lists (so a new export is documented and an
// internal helper does not leak out), `agent-context-compiler/testing` must resolve, and the page's example
// must run against the built package, and its bin must run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { builtPackage } from "../helpers/built-cli.js";
import { tempDir } from "../helpers/collect.js";

const API_DOC = join(import.meta.dirname, "../../docs/api.md");
const TESTING_SECTION = "## agent-context-compiler/testing";

/** The names each list item of a part of docs/api.md documents: every backticked name before its " — ". */
function documentedNames(markdown: string): string[] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("- `"))
    .flatMap((line) => [...line.split(" — ")[0]!.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!))
    .sort();
}

const doc = readFileSync(API_DOC, "utf8");
const [mainPart, testingPart] = doc.split(TESTING_SECTION) as [string, string];
let project: string;
/** Runs a module in the project (as a user's code would run), returning its stdout. */
const runInProject = (name: string, code: string) => {
  writeFileSync(join(project, name), code);
  return execFileSync(process.execPath, [name], { cwd: project, encoding: "utf8", timeout: 60_000 });
};

before(async () => {
  project = tempDir("acc-api-");
  mkdirSync(join(project, "node_modules"));
  symlinkSync(await builtPackage(), join(project, "node_modules/agent-context-compiler"));
  writeFileSync(join(project, "package.json"), '{"type": "module"}\n');
});
after(() => rmSync(project, { recursive: true, force: true }));

test("the built package exports exactly the names docs/api.md lists, and agent-context-compiler/testing resolves", () => {
  const out = runInProject(
    "names.mjs",
    'import * as api from "agent-context-compiler";\nimport * as testing from "agent-context-compiler/testing";\nconsole.log(JSON.stringify({ api: Object.keys(api), testing: Object.keys(testing) }));\n',
  );
  const exported = JSON.parse(out) as { api: string[]; testing: string[] };
  assert.deepEqual([...new Set(documentedNames(mainPart))], documentedNames(mainPart), "docs/api.md lists a name twice");
  assert.deepEqual(exported.api.sort(), documentedNames(mainPart));
  assert.deepEqual(exported.testing.sort(), documentedNames(testingPart));
});

test("the package's bin runs from node_modules as npm's bin links run it (executed, not given to node): acc --version prints the package's version", () => {
  const pkg = JSON.parse(readFileSync(join(project, "node_modules/agent-context-compiler/package.json"), "utf8")) as { version: string; bin: { acc: string } };
  const out = execFileSync(join(project, "node_modules/agent-context-compiler", pkg.bin.acc), ["--version"], { cwd: project, encoding: "utf8", timeout: 60_000 });
  assert.equal(out.trim(), pkg.version);
});

test("docs/api.md's example runs against the built package: a client talks to the test server", () => {
  const example = /```ts\n([\s\S]*?)```/.exec(testingPart)?.[1];
  assert.ok(example, "the testing section has an example");
  assert.equal(runInProject("example.mjs", example).trim(), "42");
});

test("the build leaves the bin executable even where tsc wrote dist/cli/main.js first (mode 0644), as on a fresh clone", async () => {
  const dist = join(tempDir("acc-bundle-"), "dist");
  cpSync(join(await builtPackage(), "dist"), dist, { recursive: true });
  chmodSync(join(dist, "cli/main.js"), 0o644);
  const { bundleCli } = (await import(pathToFileURL(join(import.meta.dirname, "../../scripts/bundle-cli.mjs")).href)) as { bundleCli: (dist: string) => Promise<void> };
  await bundleCli(dist);
  assert.equal(statSync(join(dist, "cli/main.js")).mode & 0o777, 0o755);
});
