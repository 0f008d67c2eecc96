import { basename, resolve } from "node:path";
import type { Chain, Link, LinkKind, PullRequest, RecoveryMethod, StageInstance, StageLabel } from "../records/mine.js";
import { LinkKind as LinkKinds, RecoveryMethod as RecoveryMethods, StageLabel as StageLabels } from "../records/mine.js";
import { buildChainPaths } from "./chains.js";
import { validateStage } from "./execution.js";
import { Git } from "./git.js";
import { readGitHubExport } from "./github-export.js";
import { readGraph } from "./graph.js";
import { readStagePatches, readVersions, type StagePatch } from "./instances.js";
import { buildLinks, type LinkablePr } from "./links.js";
import { commitResolver, isBot, type RecoveredPr, recoverPrs } from "./prs.js";
import { chainRecord, prRecord, stageFacts, stageInstance } from "./records.js";
import { replayLineage } from "./replay.js";
import { labelStage } from "./stages.js";

export interface MineOptions {
  /** Path of the repository (work tree or bare). */
  repo: string;
  /** The history to mine (default HEAD). */
  ref?: string;
  /** "owner/name" (default: from the origin remote's URL, else "local/<directory name>"). */
  repoName?: string;
  /** A GitHub metadata export (see docs/commands/mine.md). */
  githubExport?: string;
  /** Shell command that runs the tests; fills FAIL_TO_PASS / PASS_TO_PASS. */
  testCommand?: string;
  testTimeoutSeconds?: number;
  onProgress?: (progress: MineProgress) => void;
}

export interface MineProgress {
  phase: "history" | "lineage" | "instances" | "validation";
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
  chainsByLength: Record<string, number>;
  /** Chains dropped because a stage's diff is not UTF-8 text. */
  chainsDropped: number;
  stagesByLabel: Record<StageLabel, number>;
  validatedStages: number;
  stagesWithFailToPass: number;
}

export interface MineResult {
  repoPath: string;
  repo: string;
  ref: string;
  tip: string;
  prs: PullRequest[];
  links: Link[];
  chains: Chain[];
  stages: StageInstance[];
  stats: MineStats;
}

export const DEFAULT_TEST_TIMEOUT_SECONDS = 600;

const count = <T extends string>(keys: readonly T[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<T, number>;

/** Mines a repository's history into PR records, links, chains and stage instances (in memory). */
export async function mineRepository(options: MineOptions): Promise<MineResult> {
  const repoPath = resolve(options.repo);
  const git = new Git(repoPath);
  const ref = options.ref ?? "HEAD";
  const progress = options.onProgress ?? (() => {});
  const exported = options.githubExport === undefined ? undefined : await readGitHubExport(options.githubExport);
  const graph = await readGraph(git, ref, (done) => done % 1000 === 0 && progress({ phase: "history", done, total: 0 }));
  const repo = options.repoName ?? (await inferRepoName(git, repoPath));

  const recovery = recoverPrs(graph);
  const exportPulls = new Map((exported?.pulls ?? []).map((pull) => [pull.number, pull]));
  const issues = new Map((exported?.issues ?? []).map((issue) => [issue.number, issue]));
  const prOfIndex = new Map<number, RecoveredPr>();
  for (const pr of recovery.prs) for (const index of pr.mainline) prOfIndex.set(index, pr);
  const eligible = recovery.prs.filter((pr) => !isBot({ ...pr.author, ...exportPulls.get(pr.number)?.user }));
  const eligibleNumbers = new Set(eligible.map((pr) => pr.number));

  const lineage = await replayLineage(git, graph, prOfIndex, eligibleNumbers, (done, total) => progress({ phase: "lineage", done, total }));
  const linkable: LinkablePr[] = eligible.map((pr) => {
    const pull = exportPulls.get(pr.number);
    return {
      number: pr.number,
      order: pr.mainline.at(-1)!,
      mergedAt: pr.mergedAt,
      title: pull?.title ?? pr.title,
      body: pull?.body ?? pr.body,
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
    resolveCommit: commitResolver(graph, prOfIndex, eligibleNumbers),
  });
  const prs = eligible.map((pr, i) => prRecord(pr, repo, graph, linkable[i]!, exportPulls.get(pr.number), lineage, closing.get(pr.number) ?? []));
  const byNumber = new Map(prs.map((pr) => [pr.number, pr]));

  const order = new Map(prs.map((pr) => [pr.number, pr.merge_order]));
  const paths = buildChainPaths(order, links);
  const revertTargets = new Set(links.filter((l) => l.kind === "revert").map((l) => l.to.number));
  const versions = await readVersions(git, graph.mainline);
  const stagePrs = [...new Set(paths.flatMap((p) => p.prs))].sort((a, b) => order.get(a)! - order.get(b)!);
  progress({ phase: "instances", done: 0, total: stagePrs.length });
  const stagePatches = await readStagePatches(git, stagePrs.map((n) => [byNumber.get(n)!.base_commit, byNumber.get(n)!.merge_commit] as const));
  const patches = new Map(stagePrs.map((n, i) => [n, stagePatches[i]]));
  progress({ phase: "instances", done: stagePrs.length, total: stagePrs.length });
  const kept = paths.filter((path) => path.prs.every((n) => patches.get(n) !== undefined));
  const chains = kept.map((path) => chainRecord(path, repo, byNumber, issues, revertTargets));
  const chainIds = new Map<number, string[]>();
  for (const chain of chains) for (const stage of chain.stages) chainIds.set(stage.pr, [...(chainIds.get(stage.pr) ?? []), chain.id]);

  const recoveredByNumber = new Map(recovery.prs.map((pr) => [pr.number, pr]));
  const stages: StageInstance[] = [];
  for (const number of stagePrs.filter((n) => chainIds.has(n))) {
    const pr = byNumber.get(number)!;
    const recovered = recoveredByNumber.get(number)!;
    stages.push(
      stageInstance(pr, patches.get(number)!, {
        issues,
        version: versions[recovered.mainline[0]! - 1],
        chainIds: chainIds.get(number)!,
        label: labelStage(stageFacts(pr, revertTargets)),
        firstCommitTime: recovered.createdAt,
      }),
    );
  }
  if (options.testCommand !== undefined) {
    await validateStages(stages, patches, repoPath, options.testCommand, options.testTimeoutSeconds ?? DEFAULT_TEST_TIMEOUT_SECONDS, progress);
  }

  const stats: MineStats = {
    commits: graph.commits.size,
    mainline: graph.mainline.length,
    attributed: prOfIndex.size,
    unattributed: recovery.unattributed,
    duplicateNumbers: recovery.duplicates.length,
    prsByMethod: count(RecoveryMethods.options),
    botPrs: recovery.prs.length - eligible.length,
    exportPulls: exportPulls.size,
    exportUnmatched: [...exportPulls.keys()].filter((n) => !recoveredByNumber.has(n)).length,
    reformatCommits: { listed: lineage.listedCommits, detected: lineage.detectedCommits },
    blamedLines: lineage.blamedLines,
    linksByKind: count(LinkKinds.options),
    chainsByLength: {},
    chainsDropped: paths.length - kept.length,
    stagesByLabel: count(StageLabels.options),
    validatedStages: options.testCommand === undefined ? 0 : stages.length,
    stagesWithFailToPass: stages.filter((s) => s.FAIL_TO_PASS !== "[]").length,
  };
  for (const pr of prs) stats.prsByMethod[pr.method]++;
  for (const link of links) stats.linksByKind[link.kind]++;
  for (const chain of chains) stats.chainsByLength[chain.length] = (stats.chainsByLength[chain.length] ?? 0) + 1;
  for (const stage of stages) stats.stagesByLabel[stage.stage_label]++;
  return { repoPath, repo, ref, tip: graph.tip, prs, links, chains, stages, stats };
}

/** Runs the tests of every stage before and after its gold patch and records FAIL_TO_PASS / PASS_TO_PASS. */
async function validateStages(
  stages: StageInstance[],
  patches: ReadonlyMap<number, StagePatch | undefined>,
  repo: string,
  command: string,
  timeoutSeconds: number,
  progress: (p: MineProgress) => void,
): Promise<void> {
  for (const [done, stage] of stages.entries()) {
    const { FAIL_TO_PASS, PASS_TO_PASS, ...validation } = await validateStage({
      repo,
      base: stage.base_commit,
      patch: stage.patch,
      testPatch: stage.test_patch,
      testFiles: patches.get(stage.pull_number)!.testFiles,
      command,
      timeoutSeconds,
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
