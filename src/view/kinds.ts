import type { z } from "zod";
import { validateFast } from "../records/fast-validate.js";
import { Chain, Link, PullRequest, StageInstance } from "../records/mine.js";
import { Episode, RolloutStep } from "../records/rollout.js";
import { Sample } from "../records/sample.js";
import { Trajectory } from "../records/trajectory.js";
import { formatProblems, validate } from "../records/validate.js";
import type { Entry, RenderContext } from "./context.js";
import type { Html } from "./html.js";
import { shorten } from "./render/common.js";
import { episodeEntry, episodeTitle, renderEpisode, stepView } from "./render/episode.js";
import { chainEntry, linkEntry, prEntry, prId, renderChain, renderLink, renderPr, renderStage, stageEntry, stageView } from "./render/mine.js";
import { type EvalResult, evalEntry, isEvalResult, isReject, recordEntry, rejectEntry, renderEvalResult, renderRecord, renderReject } from "./render/misc.js";
import { renderSample, sampleEntry, sampleTitle } from "./render/sample.js";
import { renderTrajectory, trajectoryEntry, trajectoryTitle } from "./render/trajectory.js";
import type { PageKind } from "./store.js";
import { isRecord } from "../json.js";

type Json = Record<string, unknown>;

/** What a kind's record is kept as for other pages (ViewStore.keep). */
export interface Kept {
  kind: string;
  key: string;
  seq: number;
  value: unknown;
}

/** Facts about the folder a file is in that records do not repeat (a mine's repository name). */
export interface FolderFacts {
  repo?: string;
}

/**
 * One kind of record acc writes: how it is recognised and checked, its row in the lists, and either its
 * own page or the place on another record's page where it is shown (a rollout step on its episode).
 */
export interface KindHandler<T = unknown> {
  kind: string;
  /** The section's heading and what the list counts: "trajectories". */
  plural: string;
  /** What the section's length filter measures. */
  lengthUnit: string;
  detect(value: Json): boolean;
  schema?: z.ZodType<T>;
  id(value: T, line: number): string;
  /** Kept for other records' pages (steps for episodes; links, stage instances and PRs for chains). */
  keep?(value: T, line: number): Kept;
  /** Its own page: the page kind, title and content. */
  page?: { kind: PageKind; title(value: T): string; render(value: T, ctx: RenderContext, folder: FolderFacts, raw: Json): Html };
  /** No page of its own: the record (and anchor) whose page shows it. */
  shownOn?(value: T): { kind: PageKind; id: string; anchor: string };
  entry(value: T, path: string, line: number): Entry;
}

const str = (value: unknown) => (typeof value === "string" ? value : undefined);

function handler<T>(h: KindHandler<T>): KindHandler {
  return h as unknown as KindHandler;
}

/** Every kind, in the order detection tries them; the last takes any JSON value. */
export const KINDS: readonly KindHandler[] = [
  handler<Trajectory>({
    kind: "trajectory",
    plural: "trajectories",
    lengthUnit: "characters",
    detect: (v) => v.schema === "acc.trajectory",
    schema: Trajectory,
    id: (t) => t.id,
    page: { kind: "trajectory", title: trajectoryTitle, render: (t, ctx) => renderTrajectory(t, ctx) },
    entry: trajectoryEntry,
  }),
  handler<Sample>({
    kind: "sample",
    plural: "samples",
    lengthUnit: "prompt tokens",
    detect: (v) => v.schema === "acc.sample",
    schema: Sample,
    id: (s) => s.id,
    page: { kind: "sample", title: sampleTitle, render: (s, ctx) => renderSample(s, ctx) },
    entry: sampleEntry,
  }),
  handler<Episode>({
    kind: "episode",
    plural: "episodes",
    lengthUnit: "steps",
    detect: (v) => v.schema === "acc.episode",
    schema: Episode,
    id: (e) => e.id,
    page: { kind: "episode", title: episodeTitle, render: (e, ctx) => renderEpisode(e, ctx) },
    entry: episodeEntry,
  }),
  handler<RolloutStep>({
    kind: "step",
    plural: "rollout steps",
    lengthUnit: "completion tokens",
    detect: (v) => v.schema === "acc.rollout-step",
    schema: RolloutStep,
    id: (s) => `${s.episode_id}/${s.step_index}`,
    keep: (s) => ({ kind: "step", key: s.episode_id, seq: s.step_index, value: stepView(s) }),
    shownOn: (s) => ({ kind: "episode", id: s.episode_id, anchor: `step-${s.step_index}` }),
    entry: (s, path) => ({
      path,
      title: `${s.episode_id} step ${s.step_index}: ${s.kind}${s.tool_calls.length > 0 ? ` ${s.tool_calls.map((c) => c.name).join(", ")}` : ""}`,
      domain: s.kind,
      length: s.completion_tokens,
      outcome: s.finish_reason ?? "none",
      text: shorten(s.content ?? "", 240),
    }),
  }),
  handler<Json>({
    kind: "rollout-row",
    plural: "training rows",
    lengthUnit: "response tokens",
    detect: (v) => typeof v.row_id === "string" && typeof v.episode_id === "string" && Array.isArray(v.response_ids),
    id: (r) => String(r.row_id),
    shownOn: (r) => ({ kind: "episode", id: String(r.episode_id), anchor: `segment-${Number(r.segment_index)}` }),
    entry: (r, path) => ({
      path,
      title: `${String(r.row_id)}: segment ${Number(r.segment_index) + 1}, row ${Number(r.row_index) + 1} of ${Number(r.rows_in_episode)}`,
      domain: String(r.uid ?? ""),
      length: (r.response_ids as unknown[]).length,
      outcome: r.in_loss === true ? "in the loss" : "masked",
      text: `advantage ${String(r.advantage)} reward ${String(r.reward)}`,
    }),
  }),
  handler<Chain>({
    kind: "chain",
    plural: "chains",
    lengthUnit: "stages",
    detect: (v) => typeof v.id === "string" && typeof v.objective === "object" && Array.isArray(v.stages),
    schema: Chain,
    id: (c) => c.id,
    page: { kind: "chain", title: (c) => `Chain ${shorten(c.id, 80)}`, render: (c, ctx) => renderChain(c, ctx) },
    entry: chainEntry,
  }),
  handler<StageInstance>({
    kind: "stage",
    plural: "stage instances",
    lengthUnit: "statement characters",
    detect: (v) => typeof v.instance_id === "string" && typeof v.problem_statement === "string" && "FAIL_TO_PASS" in v,
    schema: StageInstance,
    id: (s) => s.instance_id,
    keep: (s) => ({ kind: "stage", key: s.instance_id, seq: 0, value: stageView(s) }),
    page: { kind: "stage", title: (s) => `Stage ${shorten(s.instance_id, 80)}`, render: (s, ctx) => renderStage(s, ctx) },
    entry: stageEntry,
  }),
  handler<PullRequest>({
    kind: "pr",
    plural: "pull requests",
    lengthUnit: "files",
    detect: (v) => typeof v.number === "number" && typeof v.merge_commit === "string" && Array.isArray(v.mainline_commits),
    schema: PullRequest,
    id: (p) => prId(p.repo, p.number),
    keep: (p) => ({ kind: "pr", key: prId(p.repo, p.number), seq: 0, value: p }),
    page: { kind: "pr", title: (p) => `PR #${p.number} ${shorten(p.title, 80)}`, render: (p) => renderPr(p) },
    entry: prEntry,
  }),
  handler<Link>({
    kind: "link",
    plural: "links",
    lengthUnit: "",
    detect: (v) => typeof v.kind === "string" && typeof v.from === "object" && typeof v.to === "object" && typeof v.signals === "object",
    schema: Link,
    id: (l) => l.id,
    keep: (l) => ({ kind: "link", key: l.id, seq: 0, value: l }),
    page: { kind: "link", title: (l) => `Link ${shorten(l.id, 80)}`, render: (l, ctx, folder) => renderLink(l, ctx, folder.repo) },
    entry: linkEntry,
  }),
  handler<EvalResult>({
    kind: "eval-result",
    plural: "graded eval items",
    lengthUnit: "tokens",
    detect: isEvalResult,
    id: (r) => r.id,
    page: { kind: "eval-result", title: (r) => `Eval item ${shorten(r.id, 80)}`, render: (r, _ctx, _folder, raw) => renderEvalResult(r, raw) },
    entry: evalEntry,
  }),
  handler<Json>({
    kind: "reject",
    plural: "rejects",
    lengthUnit: "",
    detect: isReject,
    id: (r, line) => `${str(r.file) ?? str(r.sample_id) ?? ""}:${line}`,
    page: { kind: "reject", title: (r) => `Reject: ${shorten(str(r.reason) ?? "", 80)}`, render: (r, ctx) => renderReject(r, ctx) },
    entry: rejectEntry,
  }),
];

/** Any JSON line no kind takes (or that a kind's schema refuses): its fields as they are. */
export const GENERIC: KindHandler<unknown> = {
  kind: "record",
  plural: "records",
  lengthUnit: "",
  detect: () => true,
  id: (_v, line) => `line ${line}`,
  page: { kind: "record", title: (v) => recordEntry(v, "", 0).title, render: (v) => renderRecord(v, undefined) },
  entry: recordEntry,
};

export type Classified = { handler: KindHandler; value: unknown } | { handler: KindHandler<unknown>; value: unknown; problems: string; claimed: string };

/** The kind of a parsed line, checked against its schema; a record its kind's schema refuses is shown as a plain record, with the problems. */
export function classify(value: unknown): Classified {
  if (!isRecord(value)) return { handler: GENERIC, value };
  const kind = KINDS.find((k) => k.detect(value as Json));
  if (kind === undefined) return { handler: GENERIC, value };
  if (kind.schema === undefined) return { handler: kind, value };
  const checked = kind.schema === Trajectory || kind.schema === Sample ? validateFast(kind.schema, value) : validate(kind.schema, value);
  if (checked.ok) return { handler: kind, value: checked.value };
  return { handler: GENERIC, value, claimed: kind.kind, problems: `Not a valid ${kind.kind} record: ${shorten(formatProblems(checked.problems), 600)}` };
}
