import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { MineError } from "../../mine/errors.js";
import { openRepository } from "../../mine/repository.js";
import { mineRepository, type MineProgress, type MineResult, type MineStats } from "../../mine/run.js";
import { writeSnapshot } from "../../mine/snapshot.js";
import { llmStatementWriter } from "../../mine/statements.js";
import { MINE_FILES, writeMineOutputs } from "../../mine/write.js";
import type { Chain } from "../../records/mine.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { requireJsonFile } from "../../io/json-file.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { type CliIo, UsageError } from "../io.js";
import { createProgress, type Progress } from "../progress.js";
import { renderTable } from "../table.js";
import { tierUpLater } from "../tier-up.js";
import { addOptions, type ClientFlags, clientOptions, type OutFlags, type OverwriteQuietFlags, outOption, outPath, outputAliasOption, overwriteOption, positiveIntegerOption, quietOption, requiredOut, secondsOption } from "../options.js";
import { reportSandbox, type SandboxFlags, sandboxOptions, sandboxSettings } from "../sandbox-options.js";

interface MineFlags extends ClientFlags, SandboxFlags, OutFlags, OverwriteQuietFlags {
  ref: string;
  repoName?: string;
  githubExport?: string;
  allowShallow?: boolean;
  endpoint?: string;
  model?: string;
  testCmd?: string;
  /** milliseconds */
  testTimeout: number;
  summaryJson?: string;
}

interface SnapshotFlags extends OutFlags {
  stage: number;
  mined: string;
  repo?: string;
}

export function mineCommand(io: CliIo): Command {
  const mine = addOptions(
    sandboxOptions(
      addOptions(
        new Command("mine")
          .description("Mine a git repository's history into PRs, links, PR chains and SWE-bench-compatible stage tasks")
          .argument("<repo>", "path of the repository (work tree or bare)"),
        clientOptions(),
      ),
    ),
    [
      // Checked in the actions, not by commander: `mine` and `snapshot` both take -o, and whichever of the
      // two commander hands it to, the other must not fail for lack of it.
      outOption("directory for prs.jsonl, links.jsonl, chains.jsonl, stages.jsonl, rejects.jsonl and manifest.json (required)"),
      outputAliasOption(),
      new Option("--ref <ref>", "history to mine").default("HEAD"),
      new Option("--repo-name <owner/name>", "repository name for records and instance ids (default: from the origin remote)").argParser(repoName),
      new Option("--github-export <file>", "GitHub metadata export (JSON: pulls and issues) to enrich the PRs"),
      new Option("--allow-shallow", "mine a shallow clone's partial history (the cut is recorded in the manifest) instead of refusing it"),
      new Option("--endpoint <url>", "OpenAI-compatible base URL of a model that writes each stage's problem statement (default: the PR texts)"),
      new Option("--model <name>", "model name for --endpoint"),
      new Option("--test-cmd <command>", "shell command that runs the tests of each stage in the sandbox (TAP output, or pass/fail by exit code)"),
      secondsOption("--test-timeout <seconds>", "time limit of one test run", 600),
      new Option("--summary-json <file>", "also write the closing summary as JSON"),
      overwriteOption(),
      quietOption(),
    ],
  )
    .addHelpText(
      "after",
      `
Examples:
  acc mine ~/src/requests -o mined/requests
  acc mine repo.git -o out --repo-name psf/requests --github-export requests-github.json
  acc mine repo -o llm-statements --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-32B
  acc mine repo -o tested --test-cmd 'node --test --test-reporter=tap' --test-timeout 300
  acc mine snapshot psf__requests-6655-chain-6767 --stage 2 --mined out -o stage2-repo

Related: docs/commands/mine.md`,
    )
    .action(async (repo: string, flags: MineFlags) => {
      const out = requiredOut(flags);
      if ((flags.endpoint === undefined) !== (flags.model === undefined)) throw new UsageError("--endpoint and --model go together");
      const sandbox = sandboxSettings(flags, flags.testTimeout);
      // Tests that cannot run confined, and a bad <repo>, are refused before the output folder is claimed.
      // the test runner, its sandbox and their modules are loaded only for --test-cmd
      if (flags.testCmd) {
        await (await import("../../mine/execution.js")).checkTestSandbox(sandbox);
        await reportSandbox(io, Boolean(flags.quiet), sandbox);
      }
      const repository = await openRepository(repo, flags.ref, Boolean(flags.allowShallow));
      const output = resolve(out);
      await claimOutputDir(output, { stage: "mine" }, { overwrite: Boolean(flags.overwrite), inputs: flags.githubExport ? [flags.githubExport] : [] });
      // The LLM client (and its HTTP stack) is loaded only when a model writes the statements.
      const client = flags.endpoint === undefined ? undefined : (await import("../llm-client.js")).makeClient(flags.endpoint, flags, 8);
      const progress = phasedProgress(io, Boolean(flags.quiet));
      tierUpLater();
      let result: MineResult;
      try {
        result = await mineRepository({
          repo: repository,
          ref: flags.ref,
          ...(flags.repoName ? { repoName: flags.repoName } : {}),
          ...(flags.githubExport ? { githubExport: flags.githubExport } : {}),
          allowShallow: Boolean(flags.allowShallow),
          ...(client ? { statementWriter: llmStatementWriter(client, flags.model!) } : {}),
          ...(flags.testCmd ? { testCommand: flags.testCmd } : {}),
          testTimeoutSeconds: flags.testTimeout / 1000,
          sandbox,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
        await client?.close();
      }
      await writeMineOutputs(result, output);
      io.stderr.write(`${mineSummary(result)}\nwritten to ${output}\n`);
      if (flags.summaryJson) await writeFileAtomic(flags.summaryJson, `${JSON.stringify(result.stats, null, 2)}\n`);
      const { stageCandidates, stagesRejected } = result.stats;
      if (stageCandidates > 0 && stagesRejected === stageCandidates) {
        throw new MineError(`no stage could be written: all ${stageCandidates} stage candidates were rejected (${MINE_FILES.rejects} says why)`, {
          fix: mostCommonReason(result),
        });
      }
    });
  mine.addCommand(
    addOptions(
      new Command("snapshot")
        .description("Write a repository for one stage of a chain holding nothing from after the stage's base commit")
        .argument("<chain>", "chain id (from chains.jsonl)"),
      [
        positiveIntegerOption("--stage <k>", "1-based stage number").makeOptionMandatory(),
        outOption("new or empty directory for the repository (required)"),
        outputAliasOption(),
        new Option("--mined <dir>", "output directory of `acc mine`").default("."),
        new Option("--repo <path>", "the mined repository (default: the path recorded in manifest.json)"),
      ],
    )
      .addHelpText(
        "after",
        `
Examples:
  acc mine snapshot psf__requests-6655-chain-6767 --stage 2 --mined out -o stage2-repo

Related: docs/commands/mine.md#acc-mine-snapshot`,
      )
      .action(async (chainId: string, flags: SnapshotFlags) => {
        const output = outPath(flags) ?? outPath(mine.opts<OutFlags>());
        if (output === undefined) throw new UsageError("-o, --out <dir> is required", { flag: "--out" });
        const { stage, mined } = flags;
        const chain = await findChain(join(mined, MINE_FILES.chains), chainId);
        if (stage > chain.length) throw new UsageError(`--stage ${stage} is past the end of chain ${chainId} (${chain.length} stages)`);
        const repo = flags.repo === undefined ? await manifestRepo(join(mined, MINE_FILES.manifest)) : resolve(flags.repo);
        const base = chain.stages[stage - 1]!.base_commit;
        const snapshot = await writeSnapshot(repo, base, resolve(output));
        io.stderr.write(`stage ${stage} of ${chainId}: ${snapshot.dir} at ${base} (${snapshot.commits} commits, ${snapshot.objects} objects, nothing after the base)\n`);
      }),
  );
  return mine;
}

function repoName(value: string): string {
  if (!/^[^/\s]+\/[^/\s]+$/.test(value)) throw new UsageError(`--repo-name expects owner/name, got "${value}"`, { flag: "--repo-name" });
  return value;
}

/** The mined repository's path recorded in a manifest. */
async function manifestRepo(path: string): Promise<string> {
  // zod is loaded here (as by findChain), not by acc mine itself
  const { z } = await import("zod");
  const manifest = await requireJsonFile(path, z.looseObject({ repo_path: z.string() }), {
    code: "usage",
    what: "a manifest of acc mine",
    fix: "pass --mined <output directory of acc mine>, or --repo <repository>",
  });
  return manifest.repo_path;
}

async function findChain(path: string, id: string): Promise<Chain> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UsageError(`cannot read ${path}: pass --mined <output directory of acc mine>`);
  }
  // the schemas (zod) are loaded here, for the one command that reads records back
  const [{ Chain }, { formatProblems, validate }] = await Promise.all([import("../../records/mine.js"), import("../../records/validate.js")]);
  for (const [i, line] of text.split("\n").entries()) {
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MineError(`${path}:${i + 1}: not JSON`, { fix: "pass --mined <output directory of acc mine>" });
    }
    const checked = validate(Chain, value);
    if (!checked.ok) throw new MineError(`${path}:${i + 1}: not a chain record: ${formatProblems(checked.problems)}`, { fix: "pass --mined <output directory of acc mine>" });
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
        // the history phase counts commits as it finds them: no total
        bar = createProgress(io.stderr, `mine ${p.phase}`, { quiet, ...(p.phase === "history" ? {} : { total: p.total }) });
      }
      bar!.update(p.done, p.phase === "history" ? `${p.done} commits` : `${p.done}/${p.total}`);
    },
    stop: () => bar?.stop(),
  };
}

/** The closing table: commits, PRs by recovery method, links by kind, chains by length, stages by label, rejects. */
export function mineSummary(result: MineResult): string {
  const stats: MineStats = result.stats;
  const rows: [string, string, number][] = [
    ["commits", "reachable", stats.commits],
    ["commits", "first-parent", stats.mainline],
    ["commits", "in a PR", stats.attributed],
    ["commits", "no PR marker", stats.unattributed],
    ["commits", "diff unreadable", stats.commitsUnreadable],
    ...Object.entries(stats.prsByMethod).map(([method, n]) => ["PRs", method, n] as [string, string, number]),
    ["PRs", "bots (filtered)", stats.botPrs],
    ["reformats", "listed", stats.reformatCommits.listed],
    ["reformats", "detected", stats.reformatCommits.detected],
    ...Object.entries(stats.linksByKind).map(([kind, n]) => ["links", kind, n] as [string, string, number]),
    ["reverts", "by text", stats.revertsBy.text],
    ["reverts", "by content", stats.revertsBy.content],
    ...Object.entries(stats.chainsByLength)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([length, n]) => ["chains", `length ${length}`, n] as [string, string, number]),
    ...Object.entries(stats.stagesByLabel).map(([label, n]) => ["stages", label, n] as [string, string, number]),
    ["stages", "rejected", stats.stagesRejected],
    ["statements", "from PR texts", stats.statements.text],
    ["statements", "by the model", stats.statements.llm],
    ["versions", "version file", stats.versions.file],
    ["versions", "version tag", stats.versions.tag],
    ["versions", "none", stats.versions.none],
  ];
  if (stats.exportPulls > 0) rows.push(["export", "PRs", stats.exportPulls], ["export", "not in history", stats.exportUnmatched]);
  if (stats.validatedStages > 0) rows.push(["tests", "stages run", stats.validatedStages], ["tests", "with FAIL_TO_PASS", stats.stagesWithFailToPass]);
  const notes = [
    result.shallowBoundary > 0 ? `shallow clone: the history is cut at ${result.shallowBoundary} commit(s); PRs, links and versions before the cut are missing` : "",
    stats.duplicateNumbers > 0 ? `${stats.duplicateNumbers} commits reuse an earlier PR number (left unattributed)` : "",
    stats.stagesRejected + stats.commitsUnreadable > 0 ? `${stats.stagesRejected + stats.commitsUnreadable} rejects with their reasons in ${MINE_FILES.rejects}` : "",
    result.testsRun ? "" : "FAIL_TO_PASS / PASS_TO_PASS not measured (no --test-cmd)",
  ].filter(Boolean);
  return [renderTable(["what", "kind", "count"], rows), ...notes].join("\n");
}

/** The reason most stage rejects share, for the one-line error of a run where every stage was rejected. */
function mostCommonReason(result: MineResult): string {
  const counts = new Map<string, number>();
  for (const reject of result.rejects) if (reject.kind === "stage") counts.set(reject.reason, (counts.get(reject.reason) ?? 0) + 1);
  const [reason] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ["unknown"];
  return `most were rejected because ${reason}`;
}
