import { ADA, BOB, CY, DEE, DEPENDABOT, FixtureRepo } from "./fixture-repo.js";

const calc = (addBody: string[], version = "'1.0'") =>
  ["// calc", `const VERSION = ${version};`, "function base() { return 0; }", ...addBody, "module.exports = { base, add };", ""].join("\n");

const strings = (q: string) =>
  [`export const a = ${q}alpha${q};`, `export const b = ${q}beta${q};`, `export const c = ${q}gamma${q};`, `export const d = ${q}delta${q};`, `export const e = ${q}epsilon${q};`, ""].join("\n");
const dates = (q: string) =>
  [`export const mon = ${q}Monday${q};`, `export const tue = ${q}Tuesday${q};`, `export const wed = ${q}Wednesday${q};`, `export const thu = ${q}Thursday${q};`, `export const fri = ${q}Friday${q};`, ""].join("\n");

const addBody = (label: string, guard = false) => [
  "function add(a, b) {",
  `  const label = ${label};`,
  "  const total = a + b;",
  ...(guard ? ['  if (!Number.isFinite(total)) throw new RangeError("overflow");'] : []),
  "  return { label, total };",
  "}",
];

export type ScenarioCommit = "c0" | "pr1Branch" | "pr1" | "pr2" | "r1" | "ignoreFile" | "pr3a" | "pr3b" | "r2" | "pr4" | "pr5" | "pr6" | "pr7" | "pr8";

/**
 * The scripted history the mine tests share ("acme/widgets"):
 * - c0 direct: calc.js, util/strings.js, util/dates.js, README
 * - #1 merge (Ada, branch commit "Closes #100"): add() in calc.js + tests/calc_test.sh
 * - #2 squash (Bob): src/subtract.js, body "Resolves acme/widgets#100" and "Fixes other/repo#5"
 * - R1 direct: quotes ' → " in 3 files (12 lines), later listed in .git-blame-ignore-revs
 * - direct: adds .git-blame-ignore-revs listing R1
 * - #3 rebase (Ada, 2 commits with "Pull-Request: #3"): changes add()'s label line (written by #1,
 *   reformatted by R1), "Fixes: #101"; then adds an overflow guard
 * - R2 direct: quotes " → ' in the same 3 files, not listed (must be detected)
 * - #4 squash (Cy) "Fix negative numbers in add": changes the label line #3 wrote (reformatted by R2);
 *   no textual reference: only blame finds it; its body quotes the new line in a code block
 * - #5 squash (Cy): git revert of #4, `Revert "Fix negative numbers in add (#4)" (#5)`
 * - #6 merge from dependabot: package.json (a bot: filtered)
 * - #7 squash (Dee): README, "Follow-up to #1."
 * - #8 squash (Bob): tests only, "Refs #2"
 * - tags v0.9 at c0, release-1.0 (annotated) at #2, v1.1 at the tip; branch `stale` at #3's last commit
 */
export function buildScenario() {
  const repo = new FixtureRepo();
  repo.git(["remote", "add", "origin", "https://github.com/acme/widgets.git"]);
  const shas = {} as Record<ScenarioCommit, string>;
  repo
    .write("README.md", "# widgets\n\nA calculator.\n")
    .write("src/calc.js", calc([]).replace("module.exports = { base, add };", "module.exports = { base };"))
    .write("src/util/strings.js", strings("'"))
    .write("src/util/dates.js", dates("'"));
  shas.c0 = repo.commit("Initial commit");

  repo.checkout("ada/add", true);
  repo.write("src/calc.js", calc(addBody("'sum'"))).write("tests/calc_test.sh", '. ./src/calc.sh\n[ "$(add 1 2)" = 3 ]\n');
  shas.pr1Branch = repo.commit("Add add()\n\nCloses #100", ADA);
  repo.checkout("main");
  shas.pr1 = repo.merge("ada/add", "Merge pull request #1 from ada/add\n\nAdd add function\n\nThe calculator can add.", ADA);

  repo.write("src/subtract.js", "function subtract(a, b) {\n  return a - b;\n}\nmodule.exports = { subtract };\n");
  shas.pr2 = repo.commit("Add subtract (#2)\n\nResolves acme/widgets#100\nFixes other/repo#5", BOB);

  repo.write("src/calc.js", calc(addBody('"sum"'), '"1.0"')).write("src/util/strings.js", strings('"')).write("src/util/dates.js", dates('"'));
  shas.r1 = repo.commit("Reformat with prettier", CY);
  repo.write(".git-blame-ignore-revs", `# formatting\n${shas.r1}\n`);
  shas.ignoreFile = repo.commit("Ignore the prettier commit in blame", CY);

  repo.write("src/calc.js", calc(addBody('"checked sum"'), '"1.0"'));
  shas.pr3a = repo.commit("Fix add overflow\n\nFixes: #101\n\nPull-Request: #3", ADA);
  repo.write("src/calc.js", calc(addBody('"checked sum"', true), '"1.0"'));
  shas.pr3b = repo.commit("Add overflow guard\n\nPull-Request: #3", ADA);

  const guardBody = (label: string) => addBody(label, true).map((line) => line.replace('"overflow"', "'overflow'"));
  repo.write("src/calc.js", calc(guardBody("'checked sum'"), "'1.0'")).write("src/util/strings.js", strings("'")).write("src/util/dates.js", dates("'"));
  shas.r2 = repo.commit("Run formatter", DEE);

  repo.write("src/calc.js", calc(guardBody("a < 0 || b < 0 ? 'signed sum' : 'checked sum'"), "'1.0'"));
  shas.pr4 = repo.commit(
    "Fix negative numbers in add (#4)\n\nNegative inputs get their own label:\n\n```js\nconst label = a < 0 || b < 0 ? 'signed sum' : 'checked sum';\n```\n\nSee the docs.",
    CY,
  );

  repo.write("src/calc.js", calc(guardBody("'checked sum'"), "'1.0'"));
  shas.pr5 = repo.commit(`Revert "Fix negative numbers in add (#4)" (#5)\n\nThis reverts commit ${shas.pr4}.`, CY);

  repo.checkout("dependabot/npm/lodash", true);
  repo.write("package.json", '{ "dependencies": { "lodash": "4.17.21" } }\n');
  repo.commit("Bump lodash from 4.17.20 to 4.17.21", DEPENDABOT);
  repo.checkout("main");
  shas.pr6 = repo.merge("dependabot/npm/lodash", "Merge pull request #6 from acme/dependabot/npm/lodash\n\nBump lodash from 4.17.20 to 4.17.21", DEPENDABOT);

  repo.write("README.md", "# widgets\n\nA calculator that can add and subtract.\n");
  shas.pr7 = repo.commit("Document add (#7)\n\nFollow-up to #1.", DEE);

  repo.write("tests/subtract_test.sh", '. ./src/subtract.sh\n[ "$(subtract 3 2)" = 1 ]\n');
  shas.pr8 = repo.commit("Add tests for subtract (#8)\n\nRefs #2", BOB);

  repo.git(["tag", "v0.9", shas.c0]);
  repo.git(["tag", "-a", "release-1.0", "-m", "1.0", shas.pr2]);
  repo.git(["tag", "v1.1"]);
  repo.git(["branch", "stale", shas.pr3b]);
  return { repo, shas };
}
