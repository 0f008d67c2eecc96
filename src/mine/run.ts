import { basename } from "node:path";
import type { Chain, Link, LinkKind, MineReject, PullRequest, RecoveryMethod, StageInstance, StageLabel } from "../records/mine.js";
import { LINK_KINDS, RECOVERY_METHODS, STAGE_LABELS } from "../records/mine-enums.js";
import { BinaryLiterals } from "./binary-patch.js";
import { BlobReader } from "./blobs.js";
import { buildChainPaths, type ChainPath } from "./chains.js";
import { DEFAULT_SANDBOX_LIMITS } from "../run/sandbox/limits.js";
import type { SandboxSettings } from "../run/sandbox/index.js";
import { Git } from "./git.js";
import type { ExportIssue } from "./github-export.js";
import { readGraph } from "./graph.js";
import { readPairPatches } from "./history.js";
import { assembleStagePatch, readVersions, type StagePatch } from "./instances.js";
import { buildLinks, type LinkablePr } from "./links.js";
import type { CommitPatch } from "./patch-parser.js";
import { commitResolver, isBot, type RecoveredPr, recoverPrs } from "./prs.js";
import { chainRecord, prRecord, stageFacts, stageInstance, type StageStatement } from "./records.js";
import { findReferences } from "./references.js";
import { type Lineage, replayLineage } from "./replay.js";
import { openRepository, type RepositoryFacts } from "./repository.js";
import { PatchSpill } from "./spill.js";
import { labelStage, redactLeaks, stageInstruction, unusableStatement } from "./stages.js";
import type { StatementWriter } from "./statements.js";
import { MineError } from "./errors.js";

export interface MineOptions {
  /**
   * Path of the repository (work tree or bare), resolved against the working directory; or what
   * openRepository found for it, when the caller has checked it already (its checks are then not run twice).
   */
  repo: string | RepositoryFacts;
  /** The history to mine (default HEAD). */
  ref?: string;
  /** "owner/name" (default: from the origin remote's URL, else "local/<directory name>"). */
  repoName?: string;
  /** A GitHub metadata export (see docs/commands/mine.md). */
  githubExport?: string;
  /** Mine a shallow clone (its cut is reported) instead of refusing it. */
  allowShallow?: boolean;
  /** Writes each stage's problem statement with a model (`--endpoint`); the texts alone otherwise. */
  statementWriter?: StatementWriter;
  /** Shell command that runs the tests; fills FAIL_TO_PASS / PASS_TO_PASS. */
  testCommand?: string;
  testTimeoutSeconds?: number;
  /** The box tests run in (default: the default limits, no extra folders). */
  sandbox?: SandboxSettings;
  onProgress?: (progress: MineProgress) => void;
}

export interface MineProgress {
  phase: "history" | "lineage" | "stages" | "validation";
  done: number;
  /** 0 when not known in advance. */
  total: number;
}

export interface MineStats {
  commits: number;
  mainline: number;
  /** Mainline commits that belong to a recovered PR (bots included); attributed + unattributed = mainline. */
  attributed: number;
  unattributed: number;
  duplicateNumbers: number;
  prsByMethod: Record<RecoveryMethod, number>;
  botPrs: number;
  exportPulls: number;
  /** Export PRs whose number no recovered PR has (unmerged, or merged without a trace in git). */
  exportUnmatched: number;
  reformatCommits: { listed: number; detected: number };
  blamedLines: number;
  linksByKind: Record<LinkKind, number>;
  /** Revert links by what found them (a link found both ways counts in both). */
  revertsBy: { text: number; content: number };
  chainsByLength: Record<string, number>;
  stagesByLabel: Record<StageLabel, number>;
  /** PRs that chains needed as stages: written + rejected (rejects.jsonl says why). */
  stageCandidates: number;
  stagesRejected: number;
  /** Mainline commits whose diff could not be read (rejects.jsonl); mining went on without them. */
  commitsUnreadable: number;
  statements: { text: number; llm: number };
  /** Where stage versions come from: a version file, a version tag, or nowhere. */
  versions: { file: number; tag: number; none: number };
  validatedStages: number;
  stagesWithFailToPass: number;
}

export interface MineResult {
  repoPath: string;
  repo: string;
  ref: string;
  tip: string;
  /** Commits a shallow clone cuts (0 for a complete history). */
  shallowBoundary: number;
  /** Whether --test-cmd ran (FAIL_TO_PASS / PASS_TO_PASS measured). */
  testsRun: boolean;
  prs: PullRequest[];
  links: Link[];
  chains: Chain[];
  stages: StageInstance[];
  rejects: MineReject[];
  stats: MineStats;
}

export const DEFAULT_TEST_TIMEOUT_SECONDS = 600;

const count = <T extends string>(keys: readonly T[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<T, number>;

interface BuiltStage {
  patch: StagePatch;
  statement: StageStatement;
}

/** Mines a repository's history into PR records, links, chains, stage instances and rejects (in memory). */
export async function mineRepository(options: MineOptions): Promise<MineResult> {
  const ref = options.ref ?? "HEAD";
  const sandbox = options.sandbox ?? { limits: DEFAULT_SANDBOX_LIMITS, readOnly: [], unsafe: false };
  // before any work: tests that cannot run confined are refused up front
  // the test runner and its sandbox are loaded only for --test-cmd
  if (options.testCommand !== undefined) await (await import("./execution.js")).checkTestSandbox(sandbox);
  const facts = typeof options.repo === "string" ? await openRepository(options.repo, ref, options.allowShallow ?? false) : options.repo;
  const repoPath = facts.path;
  const git = new Git(repoPath);
  const progress = options.onProgress ?? (() => {});
  // loaded only for an export: its validation brings zod, which a mine otherwise never needs
  const exported = options.githubExport === undefined ? undefined : await (await import("./github-export.js")).readGitHubExport(options.githubExport);
  const graph = await readGraph(git, facts.tip, (done) => done % 1000 === 0 && progress({ phase: "history", done, total: 0 }));
  const repo = options.repoName ?? (await inferRepoName(git, repoPath));
  const recovery = recoverPrs(graph);
  const exportPulls = new Map((exported?.pulls ?? []).map((pull) => [pull.number, pull]));
  const issues = new Map((exported?.issues ?? []).map((issue) => [issue.number, issue]));
  const prOfIndex = new Map<number, RecoveredPr>();
  for (const pr of recovery.prs) for (const index of pr.mainline) prOfIndex.set(index, pr);
  const eligible = recovery.prs.filter((pr) => !isBot({ ...pr.author, ...exportPulls.get(pr.number)?.user }));
  const eligibleNumbers = new Set(eligible.map((pr) => pr.number));
  const recoveredByNumber = new Map(recovery.prs.map((pr) => [pr.number, pr]));

  const spill = new PatchSpill();
  const blobs = new BlobReader(repoPath);
  const literals = new BinaryLiterals(blobs);
  try {
    const lineage = await replayLineage(git, graph, prOfIndex, eligibleNumbers, spill, (done, total) => progress({ phase: "lineage", done, total }));
    const linkable: LinkablePr[] = eligible.map((pr) => {
      const pull = exportPulls.get(pr.number);
      return {
        number: pr.number,
        order: pr.mainline.at(-1)!,
        mergedAt: pr.mergedAt,
        title: pull?.title ?? pr.title,
        body: pull?.body ?? pr.body,
        ...(pr.branch === undefined ? {} : { branch: pr.branch }),
        messages: pr.messages,
        files: lineage.files.get(pr.number)!.map((f) => f.path),
        authorKey: pull?.user?.login ?? pr.author.email.toLowerCase(),
        blameIgnored: lineage.ignored.has(pr.number),
        exportClosing: pull?.closing_issues ?? [],
        exportReferences: pull?.cross_references ?? [],
      };
    });
    const { links, closing } = buildLinks({
      repo,
      prs: linkable,
      allPrNumbers: new Set(recovery.prs.map((pr) => pr.number)),
      blame: lineage.blame,
      lines: lineage.lines,
      resolveCommit: commitResolver(graph, prOfIndex, eligibleNumbers),
    });
    const prs = eligible.map((pr, i) => prRecord(pr, repo, graph, linkable[i]!, exportPulls.get(pr.number), lineage, closing.get(pr.number) ?? []));
    const byNumber = new Map(prs.map((pr) => [pr.number, pr]));
    const order = new Map(prs.map((pr) => [pr.number, pr.merge_order]));
    const tagVersions = await readVersions(git, graph.mainline);

    // Chains are built from the PRs that can be stages: a PR rejected as a stage leaves the graph and the
    // chains are rebuilt, until every stage of every chain is written.
    const rejected = new Map<number, string>();
    const built = new Map<number, BuiltStage>();
    let paths: ChainPath[] = [];
    for (;;) {
      const usableOrder = new Map([...order].filter(([n]) => !rejected.has(n)));
      const usableLinks = links.filter((l) => !rejected.has(l.to.number) && !(l.from.type === "pr" && rejected.has(l.from.number)));
      paths = buildChainPaths(usableOrder, usableLinks);
      const needed = [...new Set(paths.flatMap((p) => p.prs))].filter((n) => !built.has(n)).sort((a, b) => order.get(a)! - order.get(b)!);
      if (needed.length === 0) break;
      progress({ phase: "stages", done: built.size + rejected.size, total: built.size + rejected.size + needed.length });
      const records = await stageDiffs(git, needed.map((n) => recoveredByNumber.get(n)!), lineage, spill, graph.mainline);
      await Promise.all(
        needed.map(async (number) => {
          const outcome = await buildStage(byNumber.get(number)!, recoveredByNumber.get(number)!, records.get(number)!, {
            repo,
            issues,
            literals,
            writer: options.statementWriter,
          });
          if ("reason" in outcome) rejected.set(number, outcome.reason);
          else built.set(number, outcome);
        }),
      );
      progress({ phase: "stages", done: built.size + rejected.size, total: built.size + rejected.size });
    }
    const revertTargets = new Set(links.filter((l) => l.kind === "revert").map((l) => l.to.number));
    const chains = paths.map((path) => chainRecord(path, repo, byNumber, issues, revertTargets));
    const chainIds = new Map<number, string[]>();
    for (const chain of chains) for (const stage of chain.stages) chainIds.set(stage.pr, [...(chainIds.get(stage.pr) ?? []), chain.id]);
    const stagePrs = [...chainIds.keys()].sort((a, b) => order.get(a)! - order.get(b)!);
    const versionSource = { file: 0, tag: 0, none: 0 };
    const stages = stagePrs.map((number) => {
      const pr = byNumber.get(number)!;
      const recovered = recoveredByNumber.get(number)!;
      const baseIndex = recovered.mainline[0]! - 1;
      const fileVersion = lineage.versions[baseIndex];
      const version = fileVersion ?? tagVersions[baseIndex];
      versionSource[fileVersion ? "file" : version ? "tag" : "none"]++;
      const { patch, statement } = built.get(number)!;
      return stageInstance(pr, patch, statement, {
        issues,
        version,
        chainIds: chainIds.get(number)!,
        label: labelStage(stageFacts(pr, revertTargets)),
        firstCommitTime: recovered.createdAt,
      });
    });
    setEnvironmentCommits(stages);
    if (options.testCommand !== undefined) {
      await validateStages(stages, built, repoPath, options.testCommand, options.testTimeoutSeconds ?? DEFAULT_TEST_TIMEOUT_SECONDS, sandbox, progress);
    }
    const rejects: MineReject[] = [
      ...[...lineage.unreadable].sort(([a], [b]) => a - b).map(([index, reason]): MineReject => ({ kind: "commit", commit: graph.mainline[index]!, reason })),
      ...[...rejected]
        .sort(([a], [b]) => order.get(a)! - order.get(b)!)
        .map(([number, reason]): MineReject => ({ kind: "stage", pr: number, commit: byNumber.get(number)!.merge_commit, reason })),
    ];
    const stats: MineStats = {
      commits: graph.commits.size,
      mainline: graph.mainline.length,
      attributed: prOfIndex.size,
      unattributed: recovery.unattributed,
      duplicateNumbers: recovery.duplicates.length,
      prsByMethod: count(RECOVERY_METHODS),
      botPrs: recovery.prs.length - eligible.length,
      exportPulls: exportPulls.size,
      exportUnmatched: [...exportPulls.keys()].filter((n) => !recoveredByNumber.has(n)).length,
      reformatCommits: { listed: lineage.listedCommits, detected: lineage.detectedCommits },
      blamedLines: lineage.blamedLines,
      linksByKind: count(LINK_KINDS),
      revertsBy: { text: 0, content: 0 },
      chainsByLength: {},
      stagesByLabel: count(STAGE_LABELS),
      stageCandidates: built.size + rejected.size,
      stagesRejected: rejected.size,
      commitsUnreadable: lineage.unreadable.size,
      statements: { text: 0, llm: 0 },
      versions: versionSource,
      validatedStages: options.testCommand === undefined ? 0 : stages.length,
      stagesWithFailToPass: stages.filter((s) => s.FAIL_TO_PASS !== "[]").length,
    };
    for (const pr of prs) stats.prsByMethod[pr.method]++;
    for (const link of links) {
      stats.linksByKind[link.kind]++;
      if (link.kind !== "revert") continue;
      if (link.evidence.some((e) => e.source === "diff")) stats.revertsBy.content++;
      if (link.evidence.some((e) => e.source !== "diff")) stats.revertsBy.text++;
    }
    for (const chain of chains) stats.chainsByLength[chain.length] = (stats.chainsByLength[chain.length] ?? 0) + 1;
    for (const stage of stages) {
      stats.stagesByLabel[stage.stage_label]++;
      stats.statements[stage.statement_source]++;
    }
    return { repoPath, repo, ref, tip: graph.tip, shallowBoundary: facts.shallowBoundary, testsRun: options.testCommand !== undefined, prs, links, chains, stages, rejects, stats };
  } finally {
    spill.close();
    await blobs.close();
  }
}

/**
 * The diff of each PR from its base to its last mainline commit: from the spill for single-commit PRs, from
 * one `git diff-tree --stdin` for the rest (rebased runs of several commits).
 */
async function stageDiffs(git: Git, prs: readonly RecoveredPr[], lineage: Lineage, spill: PatchSpill, mainline: readonly string[]): Promise<Map<number, CommitPatch>> {
  const records = new Map<number, CommitPatch>();
  const pairs: { pr: RecoveredPr; base: string; head: string }[] = [];
  for (const pr of prs) {
    const unreadable = pr.mainline.map((i) => lineage.unreadable.get(i)).find((reason) => reason !== undefined);
    const spilled = pr.mainline.length === 1 ? lineage.patches.get(pr.mainline[0]!) : undefined;
    if (unreadable !== undefined) records.set(pr.number, { sha: mainline[pr.mainline.at(-1)!]!, files: [], patchBytes: 0, error: unreadable });
    else if (spilled) records.set(pr.number, spill.get(spilled));
    else pairs.push({ pr, base: pr.baseCommit, head: pr.mergeCommit });
  }
  let i = 0;
  for await (const record of readPairPatches(git, pairs, { keepPatch: () => true })) {
    const pair = pairs[i++];
    if (!pair || (record.sha !== pair.head && record.error === undefined)) throw new MineError(`git diff-tree --stdin in ${git.repo} answered ${record.sha} for ${pair?.head}`, { code: "git" });
    records.set(pair.pr.number, record);
  }
  if (i !== pairs.length) throw new MineError(`git diff-tree --stdin in ${git.repo} answered ${i} of ${pairs.length} diffs`, { code: "git" });
  return records;
}

/** A stage's patch and statement, or why it cannot be one. */
async function buildStage(
  pr: PullRequest,
  recovered: RecoveredPr,
  record: CommitPatch,
  context: { repo: string; issues: ReadonlyMap<number, ExportIssue>; literals: BinaryLiterals; writer: StatementWriter | undefined },
): Promise<BuiltStage | { reason: string }> {
  const assembled = await assembleStagePatch(record, context.literals);
  if (!assembled.ok) return { reason: assembled.reason };
  const patch = assembled.value;
  const issueText = (n: number) => {
    const issue = context.issues.get(n);
    return issue ? [{ number: n, title: issue.title, body: issue.body ?? "" }] : [];
  };
  const mentioned = [pr.title, pr.body, ...recovered.messages.map((m) => m.text)]
    .flatMap((text) => findReferences(text, context.repo))
    .flatMap((ref) => ("number" in ref ? [ref.number] : []));
  const text = stageInstruction({
    title: pr.title,
    body: pr.body,
    messages: recovered.messages.map((m) => m.text),
    closing: pr.closing_issues,
    issues: pr.closing_issues.flatMap(issueText),
    referenced: [...new Set(mentioned)].sort((a, b) => a - b).flatMap(issueText),
  });
  const fromText = redactLeaks(text, patch.addedLines);
  let statement: StageStatement = { text: fromText.text, source: "text", redacted: fromText.redacted };
  if (context.writer) {
    let written: string;
    try {
      written = await context.writer.write({ repo: context.repo, text, diff: patch.patch + patch.test_patch });
    } catch (error) {
      return { reason: `the model could not write its problem statement: ${(error as Error).message}` };
    }
    const filtered = redactLeaks(written, patch.addedLines);
    const problem = unusableStatement(filtered.text);
    if (problem) return { reason: `the model's statement is unusable after the leak filter: ${problem.replace(/^its problem statement /, "it ")}` };
    statement = { text: filtered.text, source: "llm", redacted: filtered.redacted };
  } else {
    const problem = unusableStatement(statement.text);
    if (problem) return { reason: problem };
  }
  return { patch, statement };
}

/**
 * SWE-bench's environment_setup_commit: one commit per version whose environment serves every task of that
 * version, the base of its latest task (by merge order); a stage without a version uses its own base.
 */
function setEnvironmentCommits(stages: StageInstance[]): void {
  const latest = new Map<string, string>();
  for (const stage of stages) if (stage.version !== undefined) latest.set(stage.version, stage.base_commit); // stages are in merge order
  for (const stage of stages) stage.environment_setup_commit = stage.version === undefined ? stage.base_commit : latest.get(stage.version)!;
}

/** Runs the tests of every stage before and after its gold patch and records FAIL_TO_PASS / PASS_TO_PASS. */
async function validateStages(
  stages: StageInstance[],
  built: ReadonlyMap<number, BuiltStage>,
  repo: string,
  command: string,
  timeoutSeconds: number,
  sandbox: SandboxSettings,
  progress: (p: MineProgress) => void,
): Promise<void> {
  for (const [done, stage] of stages.entries()) {
    const { FAIL_TO_PASS, PASS_TO_PASS, ...validation } = await (await import("./execution.js")).validateStage({
      repo,
      base: stage.base_commit,
      patch: stage.patch,
      testPatch: stage.test_patch,
      testFiles: built.get(stage.pull_number)!.patch.testFiles,
      command,
      timeoutSeconds,
      sandbox,
    });
    stage.FAIL_TO_PASS = JSON.stringify(FAIL_TO_PASS);
    stage.PASS_TO_PASS = JSON.stringify(PASS_TO_PASS);
    stage.validation = validation;
    progress({ phase: "validation", done: done + 1, total: stages.length });
  }
}

/** "owner/name" from the origin remote's URL (GitHub-style https or ssh), else "local/<directory name>". */
async function inferRepoName(git: Git, repoPath: string): Promise<string> {
  const url = (await git.text(["config", "--get", "remote.origin.url"], { okExitCodes: [0, 1] })).trim();
  const match = /[:/]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  if (match) return `${match[1]}/${match[2]}`;
  return `local/${basename(repoPath).replace(/\.git$/, "") || "repo"}`;
}
