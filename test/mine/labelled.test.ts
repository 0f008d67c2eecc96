import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { mineRepository } from "../../src/mine/run.js";
import { findSnapshot, formatMeasures, kindsOf, LABELLED, type LabelledPair, measure } from "./labelled.js";

/**
 * The labelled set against the real histories. The snapshots are too large for the repository: set
 * ACC_MINE_REPOS to a folder holding them (the layout `fetch` writes, owner+name/repo, or plain clones named
 * owner+name or name); see docs/commands/mine.md. Each repository found is mined whole (a minute or two).
 */
const REPOS = process.env.ACC_MINE_REPOS;

test("labelled PR pairs of real repositories: precision and recall per link kind stay at the measured level", { skip: REPOS ? false : "set ACC_MINE_REPOS to a folder of psf/requests, encode/httpx and nodejs/node-addon-api snapshots to run it" }, async (t) => {
  const rows: (LabelledPair & { found: Set<string> })[] = [];
  for (const repo of Object.keys(LABELLED.repositories)) {
    const path = findSnapshot(REPOS!, repo);
    const pairs = LABELLED.pairs.filter((p) => p.repo === repo);
    const missing = path === undefined ? [] : pairs.filter((p) => spawnSync("git", ["-C", path, "cat-file", "-e", `${p.later_commit}^{commit}`]).status !== 0);
    if (path === undefined || missing.length > 0) {
      t.diagnostic(`${repo}: ${path === undefined ? "no snapshot" : `snapshot lacks ${missing.length} labelled commits`} under ${REPOS}; skipped`);
      continue;
    }
    const result = await mineRepository({ repo: path, repoName: repo });
    const numbers = new Map(result.prs.map((pr) => [pr.number, pr.merge_commit]));
    for (const pair of pairs) {
      assert.equal(numbers.get(pair.later), pair.later_commit, `${repo} #${pair.later} is recovered at the labelled commit`);
      rows.push({ ...pair, found: kindsOf(result.links, pair.earlier, pair.later) });
    }
  }
  if (rows.length === 0) return;
  const measures = measure(rows);
  t.diagnostic(`\n${formatMeasures(measures)}`);
  if (rows.length < LABELLED.pairs.length) return; // the floors below are for the whole set
  const get = (kind: string, truth: string) => measures.find((m) => m.kind === kind && m.truth === truth)!;
  const rate = ([a, b]: [number, number]) => a / b;
  assert.ok(rate(get("revert (text)", "revert").precision) >= 0.9);
  assert.ok(rate(get("revert (content)", "revert").precision) >= 0.9);
  assert.ok(rate(get("revert (any)", "revert").recall) >= 0.7);
  assert.ok(rate(get("blame", "git blame lineage").precision) >= 0.9, "blame links are lines git blame also traces");
  assert.ok(rate(get("chain-grade (any kind, score ≥ 0.3)", "related").precision) >= 0.75);
  assert.ok(rate(get("chain-grade (any kind, score ≥ 0.3)", "related").recall) >= 0.5);
});
