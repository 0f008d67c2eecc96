import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { mineRepository } from "../../src/mine/run.js";
import { tempDir } from "../helpers/collect.js";
import { kindsOf, LABELLED } from "./labelled.js";

/** A slice of psf/requests (Apache-2.0, see fixtures/SOURCES.md): every first-parent commit touching adapters.py from before the move to src/ to #6767. */
const BUNDLE = fileURLToPath(new URL("./fixtures/requests-adapters-slice.bundle", import.meta.url));

test("a real fix → fix → revert chain of psf/requests (offline slice): whitespace lineage, reverts by content, a rename that blames nothing", async () => {
  const repo = join(tempDir(), "requests");
  assert.equal(spawnSync("git", ["clone", "-q", "--branch", "main", BUNDLE, repo]).status, 0);
  const result = await mineRepository({ repo, repoName: "psf/requests" });
  const link = (id: string) => result.links.find((l) => l.id === id);

  // "Move to src directory (#6506)" renames adapters.py: lines keep their authors, the move is blamed for nothing.
  assert.deepEqual(result.links.filter((l) => l.from.number === 6506 || l.to.number === 6506), []);
  // #6724 re-indents #6667's preloaded context inside a try block: whitespace-only lineage.
  assert.deepEqual([...new Set(link("blame:pr-6667->pr-6724")!.evidence.map((e) => e.source))], ["blame-whitespace"]);
  // "Revert caching a default SSLContext" names no PR and no commit: found by content, for both PRs it undoes.
  for (const id of ["revert:pr-6667->pr-6767", "revert:pr-6724->pr-6767"]) assert.deepEqual(link(id)!.evidence.map((e) => e.source), ["diff"], id);
  const chain = result.chains.find((c) => c.stages.some((s) => s.pr === 6767))!;
  assert.deepEqual(
    chain.stages.map((s) => [s.pr, s.link?.kind ?? null]),
    [
      [6655, null],
      [6667, "blame"],
      [6724, "blame"],
      [6767, "revert"],
    ],
  );
  assert.ok(link("revert:pr-6724->pr-6767")!.score >= 0.3 && link("blame:pr-6667->pr-6724")!.score >= 0.3, "a year apart, the lineage still chains");

  // The labelled pairs of the full set whose PRs are all in the slice.
  const inSlice = new Set(result.prs.map((pr) => pr.number));
  const pairs = LABELLED.pairs.filter((p) => p.repo === "psf/requests" && inSlice.has(p.earlier) && inSlice.has(p.later));
  assert.ok(pairs.length >= 3);
  for (const pair of pairs) {
    const kinds = kindsOf(result.links, pair.earlier, pair.later);
    if (pair.revert) assert.ok(kinds.has("revert (any)"), `${pair.earlier} → ${pair.later}: ${pair.note}`);
    if (pair.related && pair.lineage_lines > 0) assert.ok(kinds.has("blame") || kinds.has("blame (whitespace only)"), `${pair.earlier} → ${pair.later}`);
  }

  for (const stage of result.stages) {
    assert.ok(stage.problem_statement.split(/\s+/).length >= 3, `${stage.instance_id}: a statement, never empty`);
    assert.equal(stage.binary_encoded.length, 0);
  }
});
