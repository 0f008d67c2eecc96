import assert from "node:assert/strict";
import { test } from "node:test";
import { mineRepository } from "../../src/mine/run.js";
import { majorMinor } from "../../src/mine/versions.js";
import { ADA, BOB, FixtureRepo } from "./fixture-repo.js";

test("majorMinor keeps SWE-bench's major.minor of a declared version", () => {
  assert.equal(majorMinor("2.32.3"), "2.32");
  assert.equal(majorMinor("0.28.1.dev0"), "0.28");
  assert.equal(majorMinor("1, 4, 0"), "1.4", "a VERSION tuple");
  assert.equal(majorMinor("v3.0"), "3.0");
  assert.equal(majorMinor("attr: pkg.__version__"), undefined);
  assert.equal(majorMinor("7"), undefined);
});

test("version: the package version declared at each stage's base (followed through a move to src/); environment_setup_commit: the base of the version's latest stage", async () => {
  const repo = new FixtureRepo();
  const module = (n: number) => `def handle(x):\n    return x * ${n}\n\ndef helper(y):\n    return y + ${n}\n`;
  repo.write("pkg/__init__.py", '"""Package."""\n__version__ = "1.4.2"\n').write("pkg/core.py", module(1)).write("setup.py", 'setup(name="pkg", version="9.9")\n');
  repo.commit("Initial commit");
  repo.write("pkg/core.py", module(2));
  repo.commit("Double the handled value everywhere (#1)", ADA);
  repo.write("pkg/core.py", module(3));
  const two = repo.commit("Triple the handled value everywhere (#2)\n\nFollow-up to #1.", ADA);
  repo.write("pkg/__init__.py", '"""Package."""\n__version__ = "1.5.0"\n');
  repo.commit("Release 1.5.0");
  repo.remove("pkg/__init__.py").remove("pkg/core.py");
  repo.write("src/pkg/__init__.py", '"""Package."""\n__version__ = "1.5.0"\n').write("src/pkg/core.py", module(3));
  const moved = repo.commit("Move the package to src/ (#3)", BOB);
  repo.write("src/pkg/core.py", module(4));
  repo.commit("Quadruple the handled value instead (#4)\n\nFollow-up to #2.", ADA);
  repo.write("src/pkg/core.py", module(5));
  const five = repo.commit("Quintuple the handled value now (#5)\n\nFollow-up to #4.", ADA);

  const result = await mineRepository({ repo: repo.dir, repoName: "acme/pkg" });
  const byPr = new Map(result.stages.map((s) => [s.pull_number, s]));
  assert.deepEqual(
    [...byPr.keys()].sort((a, b) => a - b),
    [1, 2, 4, 5],
  );
  const parent = (sha: string) => repo.git(["rev-parse", `${sha}^`]).trim();
  assert.deepEqual(
    [1, 2, 4, 5].map((n) => byPr.get(n)!.version),
    ["1.4", "1.4", "1.5", "1.5"],
    "__init__.py beats setup.py; the declaration moves with the file",
  );
  assert.equal(byPr.get(1)!.environment_setup_commit, parent(two), "1.4's latest stage is #2");
  assert.equal(byPr.get(2)!.environment_setup_commit, parent(two));
  assert.equal(byPr.get(4)!.environment_setup_commit, parent(five), "1.5's latest stage is #5");
  assert.equal(byPr.get(4)!.base_commit, moved);
  assert.deepEqual(result.stats.versions, { file: 4, tag: 0, none: 0 });
});
