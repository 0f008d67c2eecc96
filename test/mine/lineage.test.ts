import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildBenchRepo } from "../../bench/mine-repo.js";
import { blameLines, parseIgnoreRevs, readIgnoreRevs } from "../../src/mine/blame.js";
import { Git } from "../../src/mine/git.js";
import { readMainlinePatches } from "../../src/mine/history.js";
import { LineOrigins } from "../../src/mine/lineage.js";
import { isMassReformat } from "../../src/mine/reformat.js";
import { tempDir } from "../helpers/collect.js";
import { ADA, BOB, CY, DEE, FixtureRepo } from "./fixture-repo.js";
import { buildScenario } from "./scenario.js";

/**
 * Replays the lineage of `repo` and asks `git blame -w --first-parent --ignore-revs-file` (listed + detected
 * reformats) about every line the replay blames, in up to `maxCalls` (commit, file) pairs spread over the
 * history. Returns how many lines were compared and the disagreements.
 */
async function compareWithGitBlame(repo: string, maxCalls: number) {
  const git = new Git(repo);
  const listed = new Set((await readIgnoreRevs(git, "HEAD")) ?? []);
  const origins = new LineOrigins();
  const mainline: string[] = [];
  const ignored: string[] = [];
  const questions: { sha: string; path: string; lines: Map<number, number> }[] = [];
  const tip = (await git.text(["rev-parse", "HEAD"])).trim();
  for await (const diff of readMainlinePatches(git, tip, { lines: true })) {
    mainline.push(diff.sha);
    const lookThrough = listed.has(diff.sha) || isMassReformat(diff);
    if (lookThrough) ignored.push(diff.sha);
    const byPath = new Map<string, Map<number, number>>();
    for (const b of origins.apply(mainline.length - 1, diff, lookThrough).blamed) {
      if (b.kind === "code") byPath.set(b.path, (byPath.get(b.path) ?? new Map()).set(b.line, b.origin));
    }
    for (const [path, lines] of byPath) questions.push({ sha: diff.sha, path, lines });
  }
  const ignoreFile = join(tempDir(), "ignore-revs");
  writeFileSync(ignoreFile, `${ignored.join("\n")}\n`);
  const step = Math.max(1, Math.floor(questions.length / maxCalls));
  let compared = 0;
  const disagreements: string[] = [];
  for (let i = 0; i < questions.length; i += step) {
    const { sha, path, lines } = questions[i]!;
    const ranges = [...lines.keys()].map((line) => ({ start: line, end: line }));
    const blamed = await blameLines(git, `${sha}^`, path, ranges, ignoreFile);
    for (const [line, origin] of lines) {
      compared++;
      if (blamed.get(line) !== mainline[origin]) disagreements.push(`${sha.slice(0, 7)} ${path}:${line} replay ${mainline[origin]?.slice(0, 7)} git ${blamed.get(line)?.slice(0, 7)}`);
    }
  }
  return { compared, disagreements, ignored };
}

test("lineage replay agrees with git blame -w --first-parent --ignore-revs-file on every blamed line of the scenario", async () => {
  const { repo, shas } = buildScenario();
  const { compared, disagreements, ignored } = await compareWithGitBlame(repo.dir, 1000);
  assert.deepEqual(ignored, [shas.r1, shas.r2]);
  assert.ok(compared >= 4, `compared ${compared} lines`);
  assert.deepEqual(disagreements, []);
});

test("lineage replay agrees with git blame on whitespace-only edits, deletions, insertions and merges", async () => {
  const repo = new FixtureRepo();
  const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `value_${i} = compute(${i}, "${tag}")`);
  const file = lines(12, "a");
  repo.write("m.py", `${file.join("\n")}\n`).commit("base");
  file[3] = `    ${file[3]}`; // whitespace only: blame -w keeps the original author
  file[4] = "value_4 = compute(4, 'b')";
  repo.write("m.py", `${file.join("\n")}\n`).commit("Indent and edit (#1)", BOB);
  repo.checkout("topic", true);
  file.splice(6, 2, "value_6 = merged()", "extra = 1", "more = 2");
  repo.write("m.py", `${file.join("\n")}\n`).commit("branch edit", CY);
  repo.checkout("main");
  repo.merge("topic", "Merge pull request #2 from cy/topic\n\nEdit", CY);
  file[3] = "value_3 = compute(3, 'c')";
  file[4] = "value_4 = compute(4, 'c')";
  file.splice(7, 1);
  file.splice(0, 1);
  repo.write("m.py", `${file.join("\n")}\n`).commit("Change again (#3)", ADA);
  const { compared, disagreements } = await compareWithGitBlame(repo.dir, 1000);
  assert.ok(compared >= 5, `compared ${compared} lines`);
  assert.deepEqual(disagreements, []);
});

test("lineage follows whole-file renames (as git blame does) and reports whitespace-only rewrites as their own kind", async () => {
  const repo = new FixtureRepo();
  const body = ["def handler(request):", "    token = request.token", "    user = lookup(token)", "    audit(user)", "    return user", ""];
  repo.write("app/m.py", body.join("\n")).commit("Add handler (#1)", ADA);
  repo.remove("app/m.py").write("src/app/m.py", body.join("\n")).commit("Move to src directory (#2)", BOB);
  const indented = ["def handler(request):", "    try:", "        token = request.token", "        user = lookup(token)", "    except KeyError:", "        return None", "    audit(user)", "    return user", ""];
  repo.write("src/app/m.py", indented.join("\n")).commit("Handle missing tokens (#3)", CY);
  indented[3] = "        user = lookup(token, strict=True)";
  repo.write("src/app/m.py", indented.join("\n")).commit("Strict lookup (#4)", DEE);

  const git = new Git(repo.dir);
  const origins = new LineOrigins();
  const mainline: string[] = [];
  const blamedBy = new Map<string, string[]>();
  for await (const diff of readMainlinePatches(git, repo.head(), { lines: true })) {
    mainline.push(diff.sha);
    const { blamed } = origins.apply(mainline.length - 1, diff, false);
    blamedBy.set(diff.sha, blamed.map((b) => `${b.kind}:${b.path}:${b.line}:${mainline[b.origin]!.slice(0, 7)}`));
  }
  const [pr1, pr2, pr3, pr4] = mainline.map((sha) => sha.slice(0, 7));
  assert.deepEqual(blamedBy.get(mainline[1]!), [], "a pure rename changes no line: the mover is blamed for nothing");
  assert.deepEqual(blamedBy.get(mainline[2]!), [`whitespace:src/app/m.py:2:${pr1}`, `whitespace:src/app/m.py:3:${pr1}`], "#3 re-indents #1's lines");
  assert.deepEqual(blamedBy.get(mainline[3]!), [`code:src/app/m.py:4:${pr1}`, `whitespace:src/app/m.py:4:${pr3}`], "#1 wrote the line, #3 re-indented it");
  void pr2;
  void pr4;
  const { compared, disagreements } = await compareWithGitBlame(repo.dir, 100);
  assert.ok(compared >= 1);
  assert.deepEqual(disagreements, [], "code lineage is what git blame -w says, across the rename");
});

test("lineage replay agrees with git blame on a generated PR-shaped history (sampled)", async () => {
  const dir = join(tempDir(), "generated.git");
  await buildBenchRepo(dir, 400, 7);
  const { compared, disagreements } = await compareWithGitBlame(dir, 40);
  assert.ok(compared >= 40, `compared ${compared} lines`);
  assert.deepEqual(disagreements, []);
});

test("ignore-revs files: full shas only, comments and blank lines skipped; a repository without one has none", async () => {
  const sha = "a".repeat(40);
  assert.deepEqual(parseIgnoreRevs(`# Prettier\n${sha} # formatting\n\nabc123\n${"B".repeat(40)}\n`), [sha, "b".repeat(40)]);
  const repo = new FixtureRepo();
  repo.write("x", "1\n").commit("one");
  assert.equal(await readIgnoreRevs(new Git(repo.dir), "HEAD"), undefined);
});
