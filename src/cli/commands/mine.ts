import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { mineRepository, type MineProgress, type MineStats } from "../../mine/run.js";
import { writeSnapshot } from "../../mine/snapshot.js";
import { MINE_FILES, type MineManifest, writeMineOutputs } from "../../mine/write.js";
import { Chain } from "../../records/mine.js";
import { formatProblems, validate } from "../../records/validate.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { type CliIo, gitRepository, parseInteger, UsageError } from "../io.js";
import { createProgress, type Progress } from "../progress.js";
import { renderTable } from "../table.js";

export function mineCommand(io: CliIo): Command {
  const mine = new Command("mine")
    .description("Mine a git repository's history into PRs, links, PR chains and SWE-bench-compatible stage tasks")
    .argument("<repo>", "path of the repository (work tree or bare)")
    // Checked in the actions, not as commander requiredOptions: `mine` and `snapshot` both take -o, and
    // whichever of the two commander hands it to, the other must not fail for lack of it.
    .option("-o, --output <dir>", "directory for prs.jsonl, links.jsonl, chains.jsonl, stages.jsonl and manifest.json (required)")
    .option("--ref <ref>", "history to mine", "HEAD")
    .option("--repo-name <owner/name>", "repository name for records and instance ids (default: from the origin remote)")
    .option("--github-export <file>", "GitHub metadata export (JSON: pulls and issues) to enrich the PRs")
    .option("--test-cmd <command>", "shell command that runs the tests in each stage (TAP output, or pass/fail by exit code)")
    .option("--test-timeout <seconds>", "time limit of one test run", "600")
    .option("--summary-json <file>", "also write the closing summary as JSON")
    .option("--overwrite", "write into a folder holding another stage's outputs (they are removed first)")
    .option("-q, --quiet", "no progress display")
    .addHelpText(
      "after",
      `
Examples:
  acc mine ~/src/requests -o mined/requests
  acc mine repo.git -o out --repo-name psf/requests --github-export requests-github.json
  acc mine repo -o out --test-cmd 'node --test --test-reporter=tap' --test-timeout 300
  acc mine snapshot psf__requests-6667-chain-6767 --stage 2 --mined out -o stage2-repo

Related: docs/commands/mine.md`,
    )
    .action(async (repo: string, flags: Record<string, string | boolean | undefined>) => {
      if (flags.output === undefined) throw new UsageError("-o, --output <dir> is required");
      if (flags.repoName !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(String(flags.repoName))) {
        throw new UsageError(`--repo-name expects owner/name, got "${String(flags.repoName)}"`);
      }
      gitRepository(repo, "<repo>");
      const testTimeoutSeconds = parseInteger(String(flags.testTimeout), "--test-timeout");
      const output = String(flags.output);
      await claimOutputDir(output, { stage: "mine" }, { overwrite: Boolean(flags.overwrite), inputs: flags.githubExport ? [String(flags.githubExport)] : [] });
      const progress = phasedProgress(io, Boolean(flags.quiet));
      const result = await mineRepository({
        repo,
        ref: String(flags.ref),
        ...(flags.repoName ? { repoName: String(flags.repoName) } : {}),
        ...(flags.githubExport ? { githubExport: String(flags.githubExport) } : {}),
        ...(flags.testCmd ? { testCommand: String(flags.testCmd) } : {}),
        testTimeoutSeconds,
        onProgress: progress.update,
      });
      progress.stop();
      await writeMineOutputs(result, output);
      io.stderr.write(`${mineSummary(result.stats)}\nwritten to ${output}\n`);
      if (flags.summaryJson) await writeFileAtomic(String(flags.summaryJson), `${JSON.stringify(result.stats, null, 2)}\n`);
    });
  mine.addCommand(
    new Command("snapshot")
      .description("Write a repository for one stage of a chain holding nothing from after the stage's base commit")
      .argument("<chain>", "chain id (from chains.jsonl)")
      .requiredOption("--stage <k>", "1-based stage number")
      .option("-o, --output <dir>", "new or empty directory for the repository (required)")
      .option("--mined <dir>", "output directory of `acc mine`", ".")
      .option("--repo <path>", "the mined repository (default: the path recorded in manifest.json)")
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .action(async (chainId: string, flags: Record<string, string | undefined>) => {
        const output = flags.output ?? (mine.opts().output as string | undefined);
        if (output === undefined) throw new UsageError("-o, --output <dir> is required");
        const mined = flags.mined!;
        const stage = parseInteger(flags.stage!, "--stage");
        const chain = await findChain(join(mined, MINE_FILES.chains), chainId);
        if (stage > chain.length) throw new UsageError(`--stage ${stage} is past the end of chain ${chainId} (${chain.length} stages)`);
        const repo = flags.repo ?? (JSON.parse(await readFile(join(mined, MINE_FILES.manifest), "utf8")) as MineManifest).repo_path;
        const base = chain.stages[stage - 1]!.base_commit;
        const snapshot = await writeSnapshot(repo, base, output);
        io.stderr.write(`stage ${stage} of ${chainId}: ${snapshot.dir} at ${base} (${snapshot.commits} commits, ${snapshot.objects} objects, nothing after the base)\n`);
      }),
  );
  return mine;
}

async function findChain(path: string, id: string): Promise<Chain> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UsageError(`cannot read ${path}: pass --mined <output directory of acc mine>`);
  }
  for (const [i, line] of text.split("\n").entries()) {
    if (!line) continue;
    const checked = validate(Chain, JSON.parse(line));
    if (!checked.ok) throw new Error(`${path}:${i + 1}: not a chain record: ${formatProblems(checked.problems)}`);
    if (checked.value.id === id) return checked.value;
  }
  throw new UsageError(`no chain "${id}" in ${path}`);
}

/** One progress display per phase of the run. */
function phasedProgress(io: CliIo, quiet: boolean): { update: (p: MineProgress) => void; stop: () => void } {
  let phase: string | undefined;
  let bar: Progress | undefined;
  return {
    update(p) {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = createProgress(io.stderr, `mine ${p.phase}`, p.total, { quiet });
      }
      bar!.update(p.done, p.phase === "history" ? `${p.done} commits` : `${p.done}/${p.total}`);
    },
    stop: () => bar?.stop(),
  };
}

/** The closing table: commits, PRs by recovery method, links by kind, chains by length, stages by label. */
export function mineSummary(stats: MineStats): string {
  const rows: [string, string, number][] = [
    ["commits", "reachable", stats.commits],
    ["commits", "first-parent", stats.mainline],
    ["commits", "in a PR", stats.attributed],
    ["commits", "no PR marker", stats.unattributed],
    ...Object.entries(stats.prsByMethod).map(([method, n]) => ["PRs", method, n] as [string, string, number]),
    ["PRs", "bots (filtered)", stats.botPrs],
    ["reformats", "listed", stats.reformatCommits.listed],
    ["reformats", "detected", stats.reformatCommits.detected],
    ...Object.entries(stats.linksByKind).map(([kind, n]) => ["links", kind, n] as [string, string, number]),
    ...Object.entries(stats.chainsByLength)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([length, n]) => ["chains", `length ${length}`, n] as [string, string, number]),
    ...Object.entries(stats.stagesByLabel).map(([label, n]) => ["stages", label, n] as [string, string, number]),
  ];
  if (stats.exportPulls > 0) rows.push(["export", "PRs", stats.exportPulls], ["export", "not in history", stats.exportUnmatched]);
  if (stats.validatedStages > 0) rows.push(["tests", "stages run", stats.validatedStages], ["tests", "with FAIL_TO_PASS", stats.stagesWithFailToPass]);
  const notes = [
    stats.duplicateNumbers > 0 ? `${stats.duplicateNumbers} commits reuse an earlier PR number (left unattributed)` : "",
    stats.chainsDropped > 0 ? `${stats.chainsDropped} chains dropped: a stage's diff is not UTF-8 text` : "",
  ].filter(Boolean);
  return [renderTable(["what", "kind", "count"], rows), ...notes].join("\n");
}
