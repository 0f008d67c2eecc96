import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readGitHubExport } from "../../src/mine/github-export.js";
import { mineRepository } from "../../src/mine/run.js";
import { tempDir } from "../helpers/collect.js";
import { FIXTURE_START } from "./fixture-repo.js";
import { buildScenario } from "./scenario.js";

const iso = (hours: number) => new Date((FIXTURE_START + hours * 3600) * 1000).toISOString();

test("a GitHub export adds titles, bodies, labels, logins, closing issues, cross-references, issue texts and hints; Bot authors are dropped", async () => {
  const { repo } = buildScenario();
  const file = join(tempDir(), "export.json");
  writeFileSync(
    file,
    JSON.stringify({
      pulls: [
        {
          number: 1,
          title: "Add an add() function",
          body: "Adds add().\r\n<!-- template: describe the change -->",
          labels: [{ name: "enhancement" }, { name: "calc" }],
          user: { login: "ada-l", type: "User" },
          created_at: "2023-12-31T20:00:00Z",
          closing_issues: [100],
        },
        { number: 4, labels: ["bug"], cross_references: [2], user: { login: "cy" } },
        { number: 7, user: { login: "docs-helper", type: "Bot" } },
        { number: 999, title: "never merged" },
      ],
      issues: [
        {
          number: 100,
          title: "Calculator cannot add",
          body: "Please add an add() function.",
          comments: [
            { body: "Maybe call it sum?", created_at: iso(1) },
            { body: "Fixed by the merge.", created_at: iso(100) },
          ],
        },
      ],
    }),
  );
  const result = await mineRepository({ repo: repo.dir, githubExport: file });
  const pr1 = result.prs[0]!;
  assert.deepEqual(
    [pr1.title, pr1.body, pr1.labels, pr1.author.login, pr1.author.type, pr1.created_at, pr1.metadata],
    ["Add an add() function", "Adds add().\r\n<!-- template: describe the change -->", ["calc", "enhancement"], "ada-l", "User", "2023-12-31T20:00:00Z", "git+export"],
  );
  assert.deepEqual(result.prs.map((pr) => pr.number), [1, 2, 3, 4, 5, 8], "#7's author is a Bot in the export");
  assert.equal(result.prs.find((pr) => pr.number === 2)!.metadata, "git");
  assert.deepEqual([result.stats.botPrs, result.stats.exportPulls, result.stats.exportUnmatched], [2, 4, 1]);

  const byId = new Map(result.links.map((l) => [l.id, l]));
  assert.deepEqual(byId.get("closes:issue-100->pr-1")!.evidence.map((e) => e.source), ["commit-message", "github-export"]);
  assert.deepEqual(byId.get("reference:pr-2->pr-4")!.evidence, [{ source: "github-export", text: "cross-referenced #2", pr: 4 }]);

  const main = result.chains.find((c) => c.id === "acme__widgets-1-chain-5")!;
  assert.deepEqual(main.objective, { source: { type: "issue", number: 100 }, text: "Calculator cannot add\n\nPlease add an add() function." });
  assert.equal(result.chains.some((c) => c.stages.some((s) => s.pr === 7)), false);
  const stage1 = result.stages.find((s) => s.pull_number === 1)!;
  assert.equal(
    stage1.problem_statement,
    "Add an add() function\n\nAdds add().\n\nCommits:\n- Add add()\n\n  Closes #100\n\nIssue #100: Calculator cannot add\n\nPlease add an add() function.",
  );
  assert.equal(stage1.hints_text, "Maybe call it sum?", "only comments posted before the PR's first commit");
  assert.equal(result.stages.find((s) => s.pull_number === 4)!.stage_label, "fix");
});

test("a bad export is refused with the file and the JSON path of the problem", async () => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  await assert.rejects(readGitHubExport(write("broken.json", '{"pulls": [')), (e: Error) => e.message.startsWith(`${dir}/broken.json: invalid JSON`));
  await assert.rejects(
    readGitHubExport(write("shape.json", JSON.stringify({ pulls: [{ number: 1 }, { number: "2" }] }))),
    (e: Error) => e.message.includes(`${dir}/shape.json`) && e.message.includes("at pulls[1].number: expected number"),
  );
  await assert.rejects(
    readGitHubExport(write("date.json", JSON.stringify({ issues: [{ number: 1, title: "t", comments: [{ body: "b", created_at: "yesterday" }] }] }))),
    /at issues\[0\]\.comments\[0\]\.created_at: expected a date/,
  );
  await assert.rejects(readGitHubExport(write("twice.json", JSON.stringify({ pulls: [{ number: 3 }, { number: 3 }] }))), /pulls\[1\]: number 3 appears twice/);
  await assert.rejects(readGitHubExport(join(dir, "missing.json")), /cannot read GitHub export .*missing.json/);
});
