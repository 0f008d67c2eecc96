import type { Chain, Evidence, Link, PullRequest, StageInstance } from "../../records/mine.js";
import type { Entry, RenderContext } from "../context.js";
import { type Html, html } from "../html.js";
import { badge, facts, fold, formatNumber, link, list, plural, section, shorten, table, textBlock } from "./common.js";

/** The key a PR is kept and linked under: its repository and number. */
export const prId = (repo: string, number: number) => `${repo}#${number}`;

/** What a chain page shows of a stage instance: its statement and tests, not its patches. */
export interface StageView {
  instance_id: string;
  problem_statement: string;
  hints_text: string;
  FAIL_TO_PASS: string;
  PASS_TO_PASS: string;
  patch_lines: number;
  test_patch_lines: number;
}

export function stageView(s: StageInstance): StageView {
  return {
    instance_id: s.instance_id,
    problem_statement: s.problem_statement,
    hints_text: s.hints_text,
    FAIL_TO_PASS: s.FAIL_TO_PASS,
    PASS_TO_PASS: s.PASS_TO_PASS,
    patch_lines: s.patch.split("\n").length,
    test_patch_lines: s.test_patch === "" ? 0 : s.test_patch.split("\n").length,
  };
}

export function chainEntry(c: Chain, path: string): Entry {
  return {
    path,
    title: shorten(c.objective.text, 140) || c.id,
    domain: c.repo,
    length: c.length,
    outcome: c.stages.map((s) => s.label).join("→"),
    text: shorten(`${c.id} ${c.stages.map((s) => `#${s.pr} ${s.title}`).join(" ")}`, 240),
  };
}

export function stageEntry(s: StageInstance, path: string): Entry {
  return { path, title: shorten(s.problem_statement, 140) || s.instance_id, domain: s.repo, length: s.problem_statement.length, outcome: s.stage_label, text: shorten(`${s.instance_id} PR ${s.pull_number}`, 240) };
}

export function prEntry(p: PullRequest, path: string): Entry {
  return { path, title: `#${p.number} ${shorten(p.title, 120)}`, domain: p.repo, length: p.files.length, outcome: p.method, text: shorten(`${p.author.name} ${p.labels.join(" ")} ${p.merge_commit}`, 240) };
}

export function linkEntry(l: Link, path: string): Entry {
  return { path, title: `${nodeText(l.from)} → ${nodeText(l.to)} (${l.kind})`, domain: l.kind, length: null, outcome: l.kind, text: shorten(`${l.id} ${l.evidence.map((e) => e.text).join(" ")}`, 240) };
}

const nodeText = (node: { type: string; number: number }) => `${node.type === "pr" ? "PR" : "issue"} #${node.number}`;

/** A chain: its objective, then each stage with its PR, the link from the stage before and why, and its task. */
export function renderChain(c: Chain, ctx: RenderContext): Html {
  const stages = c.stages.map((stage) => {
    const pr = ctx.kept<PullRequest>("pr", prId(c.repo, stage.pr))[0];
    const instance = ctx.kept<StageView>("stage", stage.instance_id)[0];
    const linked = stage.link ? ctx.kept<Link>("link", stage.link.id)[0] : undefined;
    const why = stage.link
      ? html`<div class="why">${badge(`linked: ${stage.link.kind}`, "info")} score ${formatNumber(stage.link.score)} · ${link(ctx.recordHref("link", stage.link.id), "the link")}${
          linked ? renderEvidence(linked.evidence) : html`<p class="note">The link record is not among the inputs (links.jsonl).</p>`
        }</div>`
      : html`<p class="muted">first stage</p>`;
    return html`<li class="stage" id="stage-${stage.index}"><h3>Stage ${stage.index}: ${badge(stage.label, stage.label === "fix" ? "warn" : stage.label === "revert" ? "bad" : "info")} ${link(ctx.recordHref("pr", prId(c.repo, stage.pr)), `PR #${stage.pr}`)} ${stage.title}</h3>
${why}${facts([
      ["merged", stage.merged_at],
      ["base → merge", `${stage.base_commit.slice(0, 12)} → ${stage.merge_commit.slice(0, 12)}`],
      ["author", pr ? `${pr.author.name}${pr.author.login ? ` (${pr.author.login})` : ""}` : undefined],
      ["files", pr ? pr.files.map((f) => f.path).join(", ") : undefined],
      ["task", link(ctx.recordHref("stage", stage.instance_id), stage.instance_id)],
    ])}${
      instance
        ? html`${fold(`problem statement (${plural(instance.problem_statement.length, "character")})`, textBlock(instance.problem_statement), { open: true })}${
            instance.hints_text ? fold("hints", textBlock(instance.hints_text)) : ""
          }<p class="muted">FAIL_TO_PASS ${instance.FAIL_TO_PASS} · PASS_TO_PASS ${shorten(instance.PASS_TO_PASS, 200)} · patch ${plural(instance.patch_lines, "line")}, test patch ${plural(instance.test_patch_lines, "line")}</p>`
        : html`<p class="note">The stage instance is not among the inputs (stages.jsonl).</p>`
    }</li>`;
  });
  return html`${facts([
    ["repository", c.repo],
    ["stages", String(c.length)],
    ["objective from", nodeText(c.objective.source)],
    ["commits", `${c.base_commit.slice(0, 12)} → ${c.final_commit.slice(0, 12)}`],
  ])}<h2>Objective</h2>${textBlock(c.objective.text)}<section class="part" aria-labelledby="stages"><h2 id="stages">Stages</h2><ol class="stages">${stages}</ol></section>`;
}

function renderEvidence(evidence: readonly Evidence[]): Html {
  return list(
    evidence.map(
      (e) =>
        html`<span class="muted">${e.source}${e.pr !== undefined ? ` of PR #${e.pr}` : ""}${e.commit ? ` ${e.commit.slice(0, 12)}` : ""}${e.path ? ` ${e.path}` : ""}${e.lines ? ` lines ${e.lines.join(", ")}` : ""}:</span> ${shorten(e.text, 400)}`,
    ),
  );
}

export function renderLink(l: Link, ctx: RenderContext, repo: string | undefined): Html {
  const node = (n: Link["from"]) => (n.type === "pr" && repo !== undefined ? link(ctx.recordHref("pr", prId(repo, n.number)), nodeText(n)) : nodeText(n));
  const s = l.signals;
  return html`${facts([
    ["kind", l.kind],
    ["from", node(l.from)],
    ["to", node(l.to)],
    ["score", formatNumber(l.score)],
    ["signals", `weight ${formatNumber(s.weight)} × strength ${formatNumber(s.strength)} × module overlap ${s.module_overlap === null ? "n/a" : formatNumber(s.module_overlap)} × time decay ${formatNumber(s.time_decay)}${s.days_apart === null ? "" : ` (${formatNumber(s.days_apart)} days apart)`}`],
  ])}${section("Why linked", renderEvidence(l.evidence), "evidence")}`;
}

export function renderPr(p: PullRequest): Html {
  return html`${facts([
    ["repository", p.repo],
    ["recovered from", `a ${p.method} commit`],
    ["author", `${p.author.name} <${p.author.email}>${p.author.login ? ` (${p.author.login})` : ""}`],
    ["created → merged", `${p.created_at} → ${p.merged_at}`],
    ["commits", `base ${p.base_commit.slice(0, 12)}, merge ${p.merge_commit.slice(0, 12)}, head ${p.head_commit.slice(0, 12)}; ${plural(p.commits.length, "commit")}`],
    ["labels", p.labels.join(", ")],
    ["closes", p.closing_issues.map((n) => `#${n}`).join(", ")],
    ["blame", p.blame_ignored ? `looked through (${p.blame_ignored})` : undefined],
    ["metadata", p.metadata],
  ])}<h2>Description</h2>${p.body ? textBlock(p.body) : html`<p class="note">No description.</p>`}${section(
    `Files (${p.files.length})`,
    table(["path", "added", "deleted"], p.files.map((f) => [f.path, f.added === null ? "binary" : formatNumber(f.added), f.deleted === null ? "binary" : formatNumber(f.deleted)])),
    "files",
  )}`;
}

export function renderStage(s: StageInstance, ctx: RenderContext): Html {
  const v = s.validation;
  return html`${facts([
    ["repository", s.repo],
    ["label", s.stage_label],
    ["PR", link(ctx.recordHref("pr", prId(s.repo, s.pull_number)), `#${s.pull_number}`)],
    ["chains", html`${s.chain_ids.map((id, i) => html`${i > 0 ? ", " : ""}${link(ctx.recordHref("chain", id), id)}`)}`],
    ["base commit", s.base_commit],
    ["created", s.created_at],
    ["version", s.version],
    ["FAIL_TO_PASS", s.FAIL_TO_PASS],
    ["PASS_TO_PASS", s.PASS_TO_PASS],
    ["instruction lines left out", s.instruction_redacted_lines > 0 ? String(s.instruction_redacted_lines) : undefined],
    [
      "validation",
      v
        ? `${v.command} (network ${v.network_isolated ? "isolated" : "open"}, ${v.timeout_seconds} s): before ${v.before.passed.length} passed / ${v.before.failed.length} failed, after ${v.after.passed.length} passed / ${v.after.failed.length} failed`
        : undefined,
    ],
  ])}<h2>Problem statement</h2>${textBlock(s.problem_statement)}${s.hints_text ? section("Hints", textBlock(s.hints_text), "hints") : ""}${section("Patch", textBlock(s.patch, "diff"), "patch")}${
    s.test_patch ? section("Test patch", textBlock(s.test_patch, "diff"), "test-patch") : ""
  }`;
}
