import { basename, resolve } from "node:path";
import type { Chain, FileStat, Link, LinkKind, PullRequest, RecoveryMethod, StageInstance, StageLabel } from "../records/mine.js";
import { LinkKind as LinkKinds, RecoveryMethod as RecoveryMethods, StageLabel as StageLabels } from "../records/mine.js";
import { readIgnoreRevs } from "./blame.js";
import { buildChainPaths, type ChainPath } from "./chains.js";
import { validateStage } from "./execution.js";
import { Git } from "./git.js";
import { type ExportIssue, type ExportPull, labelNames, readGitHubExport } from "./github-export.js";
import { type CommitGraph, readGraph } from "./graph.js";
import { readMainlineDiffs } from "./history.js";
import { instanceId, readStagePatches, readVersions, type StagePatch } from "./instances.js";
import { LineOrigins } from "./lineage.js";
import { type BlameHit, buildLinks, type LinkablePr } from "./links.js";
import { isBot, type RecoveredPr, recoverPrs } from "./prs.js";
import { isMassReformat } from "./reformat.js";
import { labelStage, redactLeaks, stageInstruction } from "./stages.js";

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

export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

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

  const lineage = await replayLineage(git, graph, prOfIndex, eligibleNumbers, progress);
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
    for (const [done, stage] of stages.entries()) {
      const validation = await validateStage({
        repo: repoPath,
        base: stage.base_commit,
        patch: stage.patch,
        testPatch: stage.test_patch,
        testFiles: patches.get(stage.pull_number)!.testFiles,
        command: options.testCommand,
        timeoutSeconds: options.testTimeoutSeconds ?? DEFAULT_TEST_TIMEOUT_SECONDS,
      });
      const { FAIL_TO_PASS, PASS_TO_PASS, ...rest } = validation;
      stage.FAIL_TO_PASS = JSON.stringify(FAIL_TO_PASS);
      stage.PASS_TO_PASS = JSON.stringify(PASS_TO_PASS);
      stage.validation = rest;
      progress({ phase: "validation", done: done + 1, total: stages.length });
    }
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

interface Lineage {
  files: Map<number, FileStat[]>;
  blame: Map<number, { hits: BlameHit[]; changed: number }>;
  ignored: Map<number, "listed" | "detected">;
  listedCommits: number;
  detectedCommits: number;
  blamedLines: number;
}

/**
 * One pass over the first-parent diffs: each PR's files, the mass reformats, and blame lineage (which lines
 * each PR changes, and which PR wrote them) for the eligible PRs.
 */
async function replayLineage(
  git: Git,
  graph: CommitGraph,
  prOfIndex: ReadonlyMap<number, RecoveredPr>,
  eligible: ReadonlySet<number>,
  progress: (p: MineProgress) => void,
): Promise<Lineage> {
  const listed = new Set(await readIgnoreRevs(git, graph.tip));
  const origins = new LineOrigins();
  const result: Lineage = { files: new Map(), blame: new Map(), ignored: new Map(), listedCommits: 0, detectedCommits: 0, blamedLines: 0 };
  const fileTotals = new Map<number, Map<string, FileStat>>();
  let index = 0;
  for await (const diff of readMainlineDiffs(git, graph.tip)) {
    if (diff.sha !== graph.mainline[index]) {
      throw new Error(`first-parent history of ${graph.tip} in ${git.repo} changed while reading it (expected ${graph.mainline[index]}, got ${diff.sha})`);
    }
    const isListed = listed.has(diff.sha);
    const isDetected = !isListed && isMassReformat(diff);
    if (isListed) result.listedCommits++;
    if (isDetected) result.detectedCommits++;
    const blamed = origins.apply(index, diff, isListed || isDetected);
    const pr = prOfIndex.get(index);
    if (pr) {
      if (isListed || isDetected) result.ignored.set(pr.number, result.ignored.get(pr.number) === "listed" || isListed ? "listed" : "detected");
      const totals = fileTotals.get(pr.number) ?? new Map<string, FileStat>();
      fileTotals.set(pr.number, totals);
      for (const file of diff.files) {
        const seen = totals.get(file.path);
        const add = (a: number | null, b: number | null | undefined) => (a === null || b === null ? null : a + (b ?? 0));
        totals.set(file.path, { path: file.path, added: add(file.added, seen?.added), deleted: add(file.deleted, seen?.deleted) });
      }
      if (eligible.has(pr.number) && blamed.length > 0) {
        const entry = result.blame.get(pr.number) ?? { hits: [], changed: 0 };
        result.blame.set(pr.number, entry);
        entry.changed += blamed.length;
        result.blamedLines += blamed.length;
        for (const line of blamed) {
          const origin = prOfIndex.get(line.origin);
          if (origin && origin.number !== pr.number) entry.hits.push({ commit: diff.sha, path: line.path, line: line.line, origin: origin.number });
        }
      }
    }
    index++;
    if (index % 100 === 0) progress({ phase: "lineage", done: index, total: graph.mainline.length });
  }
  for (const [number, totals] of fileTotals) result.files.set(number, [...totals.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  return result;
}

function commitResolver(graph: CommitGraph, prOfIndex: ReadonlyMap<number, RecoveredPr>, eligible: ReadonlySet<number>): (sha: string) => number | undefined {
  const owner = new Map<string, number>();
  for (const pr of new Set(prOfIndex.values())) {
    if (!eligible.has(pr.number)) continue;
    for (const sha of [...pr.commits, ...pr.mainline.map((i) => graph.mainline[i]!)]) owner.set(sha, pr.number);
  }
  const sorted = [...owner.keys()].sort();
  return (sha) => {
    if (owner.has(sha)) return owner.get(sha);
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (sorted[mid]! < sha) low = mid + 1;
      else high = mid;
    }
    const match = sorted[low];
    const unique = match?.startsWith(sha) && !sorted[low + 1]?.startsWith(sha);
    return unique ? owner.get(match!) : undefined;
  };
}

function prRecord(
  pr: RecoveredPr,
  repo: string,
  graph: CommitGraph,
  linkable: LinkablePr,
  pull: ExportPull | undefined,
  lineage: Lineage,
  closing: number[],
): PullRequest {
  return {
    number: pr.number,
    repo,
    method: pr.method,
    title: linkable.title,
    body: linkable.body,
    author: { ...pr.author, ...(pull?.user ? { login: pull.user.login, ...(pull.user.type ? { type: pull.user.type } : {}) } : {}) },
    base_commit: pr.baseCommit,
    merge_commit: pr.mergeCommit,
    head_commit: pr.headCommit,
    mainline_commits: pr.mainline.map((i) => graph.mainline[i]!),
    commits: pr.commits,
    merge_order: pr.mainline.at(-1)!,
    created_at: pull?.created_at ? isoSeconds(Date.parse(pull.created_at) / 1000) : isoSeconds(pr.createdAt),
    merged_at: isoSeconds(pr.mergedAt),
    files: lineage.files.get(pr.number) ?? [],
    labels: pull ? labelNames(pull) : [],
    closing_issues: closing,
    blame_ignored: lineage.ignored.get(pr.number) ?? null,
    metadata: pull ? "git+export" : "git",
  };
}

function stageFacts(pr: PullRequest, revertTargets: ReadonlySet<number>) {
  return {
    title: pr.title,
    body: pr.body,
    labels: pr.labels,
    files: pr.files.map((f) => f.path),
    reverts: revertTargets.has(pr.number),
    blameIgnored: pr.blame_ignored !== null,
  };
}

function chainRecord(
  path: ChainPath,
  repo: string,
  byNumber: ReadonlyMap<number, PullRequest>,
  issues: ReadonlyMap<number, ExportIssue>,
  revertTargets: ReadonlySet<number>,
): Chain {
  const stages = path.prs.map((number, i) => {
    const pr = byNumber.get(number)!;
    const link = i === 0 ? null : path.links[i - 1]!;
    return {
      index: i + 1,
      pr: number,
      instance_id: instanceId(repo, number),
      label: labelStage(stageFacts(pr, revertTargets)),
      title: pr.title,
      base_commit: pr.base_commit,
      merge_commit: pr.merge_commit,
      merged_at: pr.merged_at,
      link: link ? { id: link.id, kind: link.kind, score: link.score } : null,
    };
  });
  const first = byNumber.get(path.prs[0]!)!;
  const last = byNumber.get(path.prs.at(-1)!)!;
  return {
    id: `${instanceId(repo, first.number)}-chain-${last.number}`,
    repo,
    length: stages.length,
    objective: chainObjective(path.prs.map((n) => byNumber.get(n)!), issues),
    base_commit: first.base_commit,
    final_commit: last.merge_commit,
    stages,
  };
}

/**
 * The chain's one functional objective: the first issue closed by its earliest stage that closes one (its
 * title and body when the export has them), else the first PR's title and description.
 */
function chainObjective(prs: readonly PullRequest[], issues: ReadonlyMap<number, ExportIssue>): Chain["objective"] {
  const root = prs.find((pr) => pr.closing_issues.length > 0);
  if (root) {
    const number = root.closing_issues[0]!;
    const issue = issues.get(number);
    const text = issue ? [issue.title.trim(), (issue.body ?? "").trim()].filter(Boolean).join("\n\n") : `Resolve issue #${number}: ${root.title}`;
    return { source: { type: "issue", number }, text };
  }
  const first = prs[0]!;
  return { source: { type: "pr", number: first.number }, text: [first.title.trim(), first.body.trim()].filter(Boolean).join("\n\n") };
}

function stageInstance(
  pr: PullRequest,
  patch: StagePatch,
  context: { issues: ReadonlyMap<number, ExportIssue>; version: string | undefined; chainIds: string[]; label: StageLabel; firstCommitTime: number },
): StageInstance {
  const issueTexts = pr.closing_issues.flatMap((n) => {
    const issue = context.issues.get(n);
    return issue ? [{ number: n, title: issue.title, body: issue.body ?? "" }] : [];
  });
  const instruction = redactLeaks(stageInstruction(pr.title, pr.body, issueTexts, pr.closing_issues), patch.addedLines);
  return {
    instance_id: instanceId(pr.repo, pr.number),
    repo: pr.repo,
    base_commit: pr.base_commit,
    patch: patch.patch,
    test_patch: patch.test_patch,
    problem_statement: instruction.text,
    hints_text: hints(pr, context.issues, context.firstCommitTime),
    created_at: pr.created_at,
    ...(context.version ? { version: context.version } : {}),
    FAIL_TO_PASS: "[]",
    PASS_TO_PASS: "[]",
    pull_number: pr.number,
    merge_commit: pr.merge_commit,
    stage_label: context.label,
    chain_ids: context.chainIds,
    instruction_redacted_lines: instruction.redacted,
  };
}

/** SWE-bench's hints: comments on the closed issues posted before the PR's first commit, oldest first. */
function hints(pr: PullRequest, issues: ReadonlyMap<number, ExportIssue>, firstCommitTime: number): string {
  const comments = pr.closing_issues.flatMap((n) => issues.get(n)?.comments ?? []);
  return comments
    .filter((c) => Date.parse(c.created_at) / 1000 < firstCommitTime)
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
    .map((c) => (c.body ?? "").trim())
    .filter(Boolean)
    .join("\n\n");
}

/** "owner/name" from the origin remote's URL (GitHub-style https or ssh), else "local/<directory name>". */
async function inferRepoName(git: Git, repoPath: string): Promise<string> {
  const url = (await git.text(["config", "--get", "remote.origin.url"], { okExitCodes: [0, 1] })).trim();
  const match = /[:/]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  if (match) return `${match[1]}/${match[2]}`;
  return `local/${basename(repoPath).replace(/\.git$/, "") || "repo"}`;
}
