import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Chain, Link, PullRequest, StageInstance } from "../../src/records/mine.js";
import { type MineResult, mineRepository } from "../../src/mine/run.js";
import { buildScenario, type ScenarioCommit } from "./scenario.js";

let scenario: ReturnType<typeof buildScenario>;
let result: MineResult;

before(async () => {
  scenario = buildScenario();
  result = await mineRepository({ repo: scenario.repo.dir });
});

const hours = (from: ScenarioCommit, to: ScenarioCommit, shas: Record<ScenarioCommit, string>, times: Map<string, number>) =>
  (times.get(shas[to])! - times.get(shas[from])!) / 3600;

test("PRs come back from merge, squash and rebase merges with their commits and files; the dependabot PR is filtered", () => {
  const { shas } = scenario;
  for (const pr of result.prs) assert.ok(PullRequest.safeParse(pr).success, `PR #${pr.number} matches the schema`);
  assert.equal(result.repo, "acme/widgets");
  assert.deepEqual(
    result.prs.map((pr) => [pr.number, pr.method, pr.title]),
    [
      [1, "merge", "Add add function"],
      [2, "squash", "Add subtract"],
      [3, "rebase", "Fix add overflow"],
      [4, "squash", "Fix negative numbers in add"],
      [5, "squash", 'Revert "Fix negative numbers in add (#4)"'],
      [7, "squash", "Document add"],
      [8, "squash", "Add tests for subtract"],
    ],
  );
  const [pr1, pr2, pr3] = result.prs;
  assert.deepEqual([pr1!.base_commit, pr1!.merge_commit, pr1!.head_commit, pr1!.commits], [shas.c0, shas.pr1, shas.pr1Branch, [shas.pr1Branch]]);
  assert.equal(pr1!.body, "The calculator can add.");
  assert.deepEqual(pr1!.files.map((f) => [f.path, f.added, f.deleted]), [["src/calc.js", 6, 1], ["tests/calc_test.sh", 2, 0]]);
  assert.deepEqual([pr2!.base_commit, pr2!.merge_commit, pr2!.body], [shas.pr1, shas.pr2, "Resolves acme/widgets#100\nFixes other/repo#5"]);
  assert.deepEqual([pr3!.base_commit, pr3!.merge_commit, pr3!.mainline_commits], [shas.ignoreFile, shas.pr3b, [shas.pr3a, shas.pr3b]]);
  assert.equal(pr3!.body, "Fixes: #101", "the Pull-Request trailer is not part of the body");
  assert.deepEqual(pr3!.files, [{ path: "src/calc.js", added: 2, deleted: 1 }]);
  assert.deepEqual(result.prs.map((pr) => [pr.number, pr.closing_issues]), [[1, [100]], [2, [100]], [3, [101]], [4, []], [5, []], [7, []], [8, []]]);
  assert.ok(result.prs.every((pr) => pr.blame_ignored === null && pr.metadata === "git"));
  assert.equal(result.prs[0]!.merged_at, new Date((Date.UTC(2024, 0, 1) / 1000 + 3 * 3600) * 1000).toISOString().replace(".000", ""));

  const s = result.stats;
  // 13 first-parent commits: c0, #1, #2, R1, ignore file, #3 (two), R2, #4, #5, #6, #7, #8; plus two branch commits.
  assert.deepEqual([s.commits, s.mainline, s.attributed, s.unattributed], [15, 13, 9, 4]);
  assert.equal(s.attributed + s.unattributed, s.mainline);
  assert.deepEqual(s.prsByMethod, { merge: 1, squash: 5, rebase: 1 });
  assert.equal(s.botPrs, 1);
  assert.deepEqual(s.reformatCommits, { listed: 1, detected: 1 });
});

test("links: closing keywords, same issue, revert, follow-up, reference, blame through a listed and a detected reformat, module", () => {
  for (const link of result.links) assert.ok(Link.safeParse(link).success, `${link.id} matches the schema`);
  const kinds = result.links.map((l) => `${l.kind} ${l.from.type}-${l.from.number} -> ${l.to.number}`).sort();
  assert.deepEqual(
    kinds,
    [
      "blame pr-1 -> 3",
      "blame pr-3 -> 4",
      "blame pr-4 -> 5",
      "closes issue-100 -> 1",
      "closes issue-100 -> 2",
      "closes issue-101 -> 3",
      "follow-up pr-1 -> 7",
      "module pr-1 -> 3",
      "module pr-4 -> 5",
      "reference pr-2 -> 8",
      "revert pr-4 -> 5",
      "same-issue pr-1 -> 2",
    ],
  );
  const byId = new Map(result.links.map((l) => [l.id, l]));
  const { shas } = scenario;

  assert.deepEqual(byId.get("closes:issue-100->pr-1")!.evidence, [{ source: "commit-message", text: "Closes #100", pr: 1, commit: shas.pr1Branch }]);
  assert.deepEqual(byId.get("closes:issue-100->pr-2")!.evidence, [{ source: "body", text: "Resolves acme/widgets#100", pr: 2 }]);
  assert.deepEqual(byId.get("closes:issue-101->pr-3")!.evidence, [{ source: "body", text: "Fixes: #101", pr: 3 }]);
  assert.equal(byId.get("same-issue:pr-1->pr-2")!.evidence.length, 2);

  const revert = byId.get("revert:pr-4->pr-5")!;
  assert.deepEqual(
    revert.evidence.map((e) => [e.source, e.text]),
    [
      ["title", 'Revert "Fix negative numbers in add (#4)"'],
      ["body", `This reverts commit ${shas.pr4}`],
      ["diff", "undoes 2 of the 2 lines #4 changed: removes 1 lines it wrote, restores 1 lines it removed"],
    ],
  );
  assert.equal(revert.score, 1, "weight 1 × same module (src) × no decay for explicit links");

  // #3 changes the label line #1 wrote; R1 (listed) reformatted it in between.
  const blame13 = byId.get("blame:pr-1->pr-3")!;
  assert.deepEqual(blame13.evidence, [
    { source: "blame", text: "1 of the lines it changes in src/calc.js were written by #1", pr: 3, commit: shas.pr3a, path: "src/calc.js", lines: [5] },
  ]);
  // #4 changes the line #3 wrote; R2 (not listed, detected) reformatted it in between.
  const blame34 = byId.get("blame:pr-3->pr-4")!;
  assert.deepEqual(blame34.evidence.map((e) => [e.commit, e.path, e.lines]), [[shas.pr4, "src/calc.js", [5]]]);

  // Scores from the documented formula, with times taken from git, not from the records.
  const times = new Map(
    scenario.repo
      .git(["log", "--format=%H %ct", "--all"])
      .trim()
      .split("\n")
      .map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])] as [string, number]),
  );
  const decay = (h: number) => 0.5 + 0.5 * 2 ** (-(h / 24) / 365);
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  // #1 touches {src, tests}, #3 only src: Jaccard 1/2.
  assert.equal(blame13.score, round(0.8 * 1 * (0.75 + 0.25 * 0.5) * decay(hours("pr1", "pr3b", shas, times))));
  assert.equal(blame34.score, round(0.8 * 1 * 1 * decay(hours("pr3b", "pr4", shas, times))));
  assert.equal(byId.get("follow-up:pr-1->pr-7")!.score, round(0.9 * 0.75), "no shared module: README is in '.'");
  assert.equal(byId.get("same-issue:pr-1->pr-2")!.score, round(0.85 * (0.75 + 0.25 * 0.5)));
  assert.equal(byId.get("reference:pr-2->pr-8")!.score, round(0.6 * 0.75));
});

test("without the ignore list and the reformat detection the fix-of-a-fix chain is lost (the reformats take the blame)", async () => {
  const { LineOrigins } = await import("../../src/mine/lineage.js");
  const { readMainlinePatches } = await import("../../src/mine/history.js");
  const { Git } = await import("../../src/mine/git.js");
  const origins = new LineOrigins();
  const { shas } = scenario;
  const blamedBy = new Map<string, string[]>();
  let index = 0;
  const mainline: string[] = [];
  for await (const diff of readMainlinePatches(new Git(scenario.repo.dir), scenario.repo.head(), { lines: true })) {
    mainline.push(diff.sha);
    blamedBy.set(diff.sha, origins.apply(index++, diff, false).blamed.filter((b) => b.kind === "code").map((b) => mainline[b.origin]!));
  }
  assert.deepEqual(blamedBy.get(shas.pr3a), [shas.r1]);
  assert.deepEqual(blamedBy.get(shas.pr4), [shas.r2]);
});

test("chains: paths of 2-8 PRs in merge order along the best links, with labels and an objective", () => {
  for (const chain of result.chains) assert.ok(Chain.safeParse(chain).success, `${chain.id} matches the schema`);
  assert.deepEqual(
    result.chains.map((c) => [c.id, c.stages.map((s) => `${s.pr}:${s.label}:${s.link?.kind ?? "-"}`)]),
    [
      ["acme__widgets-1-chain-5", ["1:feature:-", "3:fix:blame", "4:fix:blame", "5:revert:revert"]],
      ["acme__widgets-1-chain-7", ["1:feature:-", "7:feature:follow-up"]],
      ["acme__widgets-1-chain-8", ["1:feature:-", "2:feature:same-issue", "8:test:reference"]],
    ],
  );
  const main = result.chains[0]!;
  assert.deepEqual(main.objective, { source: { type: "issue", number: 100 }, text: "Resolve issue #100: Add add function" });
  assert.equal(main.base_commit, scenario.shas.c0);
  assert.equal(main.final_commit, scenario.shas.pr5);
  const sevenChain = result.chains[1]!;
  assert.deepEqual(sevenChain.objective.source, { type: "issue", number: 100 });
  assert.deepEqual(result.stats.chainsByLength, { 2: 1, 3: 1, 4: 1 });
});

test("stage instances: SWE-bench fields, code and test patches split by path, instruction without leaked patch lines", () => {
  for (const stage of result.stages) assert.ok(StageInstance.safeParse(stage).success, `${stage.instance_id} matches the schema`);
  assert.deepEqual(
    result.stages.map((s) => [s.instance_id, s.stage_label, s.chain_ids]),
    [
      ["acme__widgets-1", "feature", ["acme__widgets-1-chain-5", "acme__widgets-1-chain-7", "acme__widgets-1-chain-8"]],
      ["acme__widgets-2", "feature", ["acme__widgets-1-chain-8"]],
      ["acme__widgets-3", "fix", ["acme__widgets-1-chain-5"]],
      ["acme__widgets-4", "fix", ["acme__widgets-1-chain-5"]],
      ["acme__widgets-5", "revert", ["acme__widgets-1-chain-5"]],
      ["acme__widgets-7", "feature", ["acme__widgets-1-chain-7"]],
      ["acme__widgets-8", "test", ["acme__widgets-1-chain-8"]],
    ],
  );
  const first = result.stages[0]!;
  const expectedDiff = scenario.repo.git(["diff", "--binary", "--full-index", scenario.shas.c0, scenario.shas.pr1]);
  assert.equal(first.patch + first.test_patch, expectedDiff, "code then test sections, byte for byte the local git diff");
  assert.match(first.patch, /^diff --git a\/src\/calc.js/);
  assert.doesNotMatch(first.patch, /tests\//);
  assert.match(first.test_patch, /^diff --git a\/tests\/calc_test.sh/);
  assert.equal(first.problem_statement, "Add add function\n\nThe calculator can add.\n\nCommits:\n- Add add()\n\n  Closes #100\n\nResolves issue #100.", "title, body, the branch's commit messages, the closed issue");
  assert.deepEqual([first.FAIL_TO_PASS, first.PASS_TO_PASS, first.hints_text], ["[]", "[]", ""]);
  const four = result.stages.find((s) => s.pull_number === 4)!;
  assert.equal(four.problem_statement, "Fix negative numbers in add\n\nNegative inputs get their own label:\n\nSee the docs.");
  assert.equal(four.instruction_redacted_lines, 3, "the code block quoting the added line goes whole");
  assert.equal(first.instruction_redacted_lines, 0);
  const eight = result.stages.find((s) => s.pull_number === 8)!;
  assert.equal(eight.patch, "");
  assert.match(eight.test_patch, /tests\/subtract_test.sh/);
  // v0.9 tags c0, release-1.0 tags #2, v1.1 tags the tip (no stage's base).
  assert.deepEqual(result.stages.map((s) => [s.pull_number, s.version]), [[1, "0.9"], [2, "0.9"], [3, "1.0"], [4, "1.0"], [5, "1.0"], [7, "1.0"], [8, "1.0"]]);
});
