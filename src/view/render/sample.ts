import { blockHeader } from "../../compile/render.js";
import type { Sample } from "../../records/sample.js";
import type { Entry, RenderContext } from "../context.js";
import { type Html, html, joinHtml } from "../html.js";
import { stackedBar } from "./charts.js";
import { badge, facts, fold, formatNumber, link, plural, section, shorten, textBlock } from "./common.js";

type Piece = Sample["meta"]["pieces"][number];

export function sampleEntry(s: Sample, path: string): Entry {
  return {
    path,
    title: shorten(s.meta.task.question, 140) || s.id,
    domain: s.meta.domain,
    length: s.meta.prompt_tokens,
    outcome: s.target.answer_origin,
    text: shorten(`${s.id} ${s.meta.trajectory_id} ${s.target.answer}`, 240),
  };
}

export function sampleTitle(s: Sample): string {
  return `Sample ${shorten(s.id, 80)}`;
}

/** The user prompt cut into the text before the documents, one block per piece (in prompt order), and the text after. */
export interface PromptParts {
  before: string;
  blocks: { piece: Piece; index: number; text: string }[];
  after: string;
}

/**
 * Finds each piece's `<document index="i" …>` block in the prompt, in the order of meta.pieces (the order
 * compile laid them out). Undefined when the prompt does not hold them (a hand-edited record).
 */
export function splitPrompt(content: string, pieces: readonly Piece[]): PromptParts | undefined {
  const blocks: PromptParts["blocks"] = [];
  let position = 0;
  let before: string | undefined;
  for (const [i, piece] of pieces.entries()) {
    const header = blockHeader(i + 1, piece.source);
    const start = content.indexOf(header, position);
    if (start === -1) return undefined;
    const bodyStart = start + header.length;
    const end = content.indexOf("\n</document>\n\n", bodyStart);
    if (end === -1) return undefined;
    if (i > 0 && start !== position) return undefined;
    before ??= content.slice(0, start);
    blocks.push({ piece, index: i + 1, text: content.slice(bodyStart, end) });
    position = end + "\n</document>\n\n".length;
  }
  return { before: before ?? content.slice(0, position), blocks, after: content.slice(position) };
}

/** A compiled sample: the budget bar, the prompt as its documents (evidence marked), the target. */
export function renderSample(s: Sample, ctx: RenderContext): Html {
  const user = s.messages.find((m) => m.role === "user");
  const system = s.messages.find((m) => m.role === "system");
  const spans = (role: Piece["role"]) => s.meta.pieces.filter((p) => p.role === role).reduce((sum, p) => sum + p.token_end - p.token_start, 0);
  const evidence = spans("evidence");
  const context = spans("context");
  const distractors = spans("distractor");
  const question = s.meta.prompt_tokens - evidence - context - distractors;
  const targetText = `${s.target.reasoning ?? ""}${s.target.answer}`;
  const target = ctx.countTokens(s.meta.tokenizer, targetText);
  const fill = s.meta.prompt_tokens / s.meta.target_tokens;

  const budget = section(
    "Token budget",
    html`${stackedBar(
      `Tokens of sample ${s.id}`,
      [
        { label: "evidence", value: evidence, tone: "evidence" },
        { label: "debugging context", value: context, tone: "context" },
        { label: "distractors", value: distractors, tone: "distractor" },
        { label: "question, instructions and chat template", value: question, tone: "question" },
        { label: target.exact ? "target (answer and reasoning)" : "target (answer and reasoning, estimated at 4 characters a token)", value: target.count, tone: "target" },
      ],
      "tokens",
    )}<p>The prompt is ${plural(s.meta.prompt_tokens, "token")} of the ${formatNumber(s.meta.target_tokens)} drawn for it (${(100 * fill).toFixed(1)}% filled), counted with ${s.meta.tokenizer}.</p>`,
    "budget",
  );

  const parts = user ? splitPrompt(user.content, s.meta.pieces) : undefined;
  const documents = !user
    ? html`<p class="note">The sample has no user message.</p>`
    : parts === undefined
      ? html`<p class="note">The prompt's documents do not match the sample's piece list, so it is shown whole.</p>${textBlock(user.content)}`
      : html`<p class="tools"><button type="button" data-action="only-evidence" aria-pressed="false">Show evidence only</button> <button type="button" data-action="expand">Expand all</button> <button type="button" data-action="collapse">Collapse all</button></p>
${textBlock(parts.before, "text prompt-edge")}<ol class="documents">${parts.blocks.map((block) => renderBlock(block, ctx))}</ol>${textBlock(parts.after, "text prompt-edge")}`;

  const targetPart = section(
    "Target",
    html`${facts([
      ["answer from", s.target.answer_origin],
      ["reasoning from", s.target.reasoning_origin],
      ["ground truth", s.meta.task.ground_truth],
    ])}<h3>Answer</h3>${textBlock(s.target.answer)}${
      s.target.reasoning ? html`<h3>${s.target.reasoning_origin === "teacher" ? "Teacher trace" : "Reasoning"}</h3>${textBlock(s.target.reasoning)}` : ""
    }${s.meta.task.gold_patch ? fold("gold patch", textBlock(s.meta.task.gold_patch, "diff")) : ""}${s.meta.task.gold_sql ? fold("gold SQL", textBlock(s.meta.task.gold_sql)) : ""}`,
    "target",
  );

  return html`${facts([
    ["domain", s.meta.domain],
    ["trajectory", link(ctx.recordHref("trajectory", s.meta.trajectory_id), s.meta.trajectory_id)],
    ["pieces", `${plural(s.meta.evidence_count, "evidence piece")}, ${plural(s.meta.context_count, "context piece")}, ${plural(s.meta.distractor_count, "distractor")} (${formatNumber(s.meta.pool_distractor_count)} from other trajectories)`],
    ["question", s.meta.question_position === "both" ? "before and after the documents" : `${s.meta.question_position} the documents`],
    ["seed", String(s.meta.seed)],
    ["cut to fit", s.meta.split_pieces.length > 0 ? s.meta.split_pieces.map((p) => `${p.id} (${plural(p.dropped_lines, "line")} left out)`).join(", ") : undefined],
    ["instance", s.meta.task.instance_id],
  ])}<h2 class="question-head">Question</h2>${textBlock(s.meta.task.question)}${budget}${section("Prompt", html`${system ? fold("system message", textBlock(system.content)) : ""}${documents}`, "prompt")}${targetPart}`;
}

function renderBlock(block: PromptParts["blocks"][number], ctx: RenderContext): Html {
  const { piece } = block;
  const tone = piece.role === "evidence" ? "good" : piece.role === "context" ? "info" : "muted";
  const origins = piece.origins.map((o) => {
    const anchor = o.message_index !== undefined ? `#m-${o.message_index}` : "";
    return link(`${ctx.recordHref("trajectory", o.trajectory_id)}${anchor}`, `${shorten(o.trajectory_id, 40)}${o.message_index !== undefined ? ` message ${o.message_index}` : ""}`);
  });
  return html`<li class="document ${piece.role}" data-role="${piece.role}">${fold(
    html`${badge(piece.role, tone)} <span class="doc-index">document ${block.index}</span> · ${piece.kind} · ${shorten(piece.source, 100)} · ${plural(piece.token_end - piece.token_start, "token")}`,
    html`${textBlock(block.text)}<p class="muted">tokens ${formatNumber(piece.token_start)}–${formatNumber(piece.token_end)} of the prompt · from ${joinHtml(origins, ", ")}</p>`,
    { open: piece.role === "evidence" },
  )}</li>`;
}
