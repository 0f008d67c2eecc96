import type { Episode, RolloutSegment, RolloutStep } from "../../records/rollout.js";
import type { Entry, RenderContext } from "../context.js";
import { type Html, html } from "../html.js";
import { badge, facts, fold, formatNumber, link, plural, section, shorten, table, textBlock } from "./common.js";

/** A step as kept for its episode's page: everything but the token ids and logprobs, which are counted. */
export type StepView = Omit<RolloutStep, "prompt_ids" | "completion_ids" | "logprobs"> & { prompt_id_count: number; logprobs: boolean };

export function stepView(step: RolloutStep): StepView {
  const { prompt_ids, completion_ids: _ids, logprobs, ...rest } = step;
  return { ...rest, prompt_id_count: prompt_ids.length, logprobs: logprobs !== null };
}

export function episodeOutcome(e: Episode): string {
  if (e.stop_reason === "error") return "error";
  if (e.overlong) return "overlong";
  return e.success ? "success" : "failure";
}

export function episodeEntry(e: Episode, path: string): Entry {
  return {
    path,
    title: `${e.task_id} #${e.sample_index}`,
    domain: e.env,
    length: e.counts.steps,
    outcome: episodeOutcome(e),
    text: shorten(`${e.id} ${e.group_id} ${e.model} ${e.stop_reason} ${e.final_answer ?? ""} ${e.in_loss ? "" : "masked"}`, 240),
  };
}

export function episodeTitle(e: Episode): string {
  return `Episode ${shorten(e.id, 80)}`;
}

/** An episode: reward, advantage and whether it is trained, then its segments, each closed by its summary. */
export function renderEpisode(e: Episode, ctx: RenderContext): Html {
  const steps = ctx.kept<StepView>("step", e.id);
  const outcome = episodeOutcome(e);
  const status = html`${badge(outcome, outcome === "success" ? "good" : outcome === "failure" || outcome === "error" ? "bad" : "warn")} ${
    e.in_loss ? badge("in the loss", "good") : badge("masked out of the loss", "warn")
  } ${e.in_baseline ? badge("in the group baseline", "info") : badge("not in the baseline", "muted")}`;
  const header = facts([
    ["status", status],
    ["reward", formatNumber(e.reward)],
    ["advantage", formatNumber(e.advantage)],
    ["verdict", `${e.verdict.reason}${e.verdict.detail ? `: ${e.verdict.detail}` : ""}`],
    ["stopped", `${e.stop_reason}${e.overlong_reason ? ` (overlong: ${e.overlong_reason})` : ""}`],
    ["error", e.error],
    ["task", e.task_id],
    ["group", e.group_id],
    ["environment", `${e.env} · context ${e.context}`],
    ["model", `${e.model} · seed ${e.seed}`],
    ["trajectory", link(ctx.recordHref("trajectory", e.id), "the episode as a trajectory")],
  ]);
  const c = e.counts;
  const counts = section(
    "Counts",
    table(
      ["steps", "actions", "summaries", "tool calls", "tool errors", "format errors", "cut at max tokens", "prompt tokens", "completion tokens", "summary tokens", "trained tokens", "prefix breaks", "prediction misses"],
      [[c.steps, c.action_steps, c.summaries, c.tool_calls, c.tool_errors, c.format_errors, c.truncated_steps, c.prompt_tokens, c.completion_tokens, c.summary_tokens, c.trained_tokens, c.prefix_breaks, c.prediction_misses].map(formatNumber)],
    ),
    "counts",
  );
  const segments = e.segments.map((segment) => renderSegment(segment, steps.filter((s) => s.segment_index === segment.index)));
  return html`${header}${e.final_answer !== null ? html`<h2>Final answer</h2>${textBlock(e.final_answer)}` : ""}${counts}<section class="part" aria-labelledby="segments"><h2 id="segments">Segments</h2>${
    steps.length === 0 && e.counts.steps > 0 ? html`<p class="note">The steps of this episode are not in the view (steps.jsonl was not among the inputs, or did not hold them).</p>` : ""
  }<p class="tools"><button type="button" data-action="expand">Expand all</button> <button type="button" data-action="collapse">Collapse all</button></p><ol class="segments">${segments}</ol></section>`;
}

function renderSegment(segment: RolloutSegment, steps: StepView[]): Html {
  const summary =
    segment.summary === null
      ? ""
      : html`<div class="boundary">${badge("summary", "warn")} ${plural(segment.summary_tokens, "token")}: what the next segment starts from${textBlock(segment.summary)}</div>`;
  return html`<li class="segment" id="segment-${segment.index}"><h3>Segment ${segment.index + 1}: from the ${segment.start} to ${segment.end === "summary" ? "a summary" : segment.end}</h3>
<p class="muted">${plural(segment.steps, "step")} from step ${segment.first_step} · first prompt ${plural(segment.prompt_tokens, "token")} · ${plural(segment.completion_tokens, "completion token")}</p>
${steps.length > 0 ? html`<ol class="steps">${steps.map(renderStep)}</ol>` : ""}${summary}</li>`;
}

function renderStep(step: StepView): Html {
  const marks = html`${step.kind !== "action" ? badge(step.kind, "warn") : ""}${step.dropped ? badge("dropped before the summary", "muted") : ""}${step.trained ? "" : badge("not trained", "muted")}${
    step.violations.length > 0 ? badge(`violations: ${step.violations.join(", ")}`, "bad") : ""
  }`;
  const calls = step.tool_calls.map((call) => fold(html`call <code>${call.name}</code> ${shorten(call.arguments, 120)}`, textBlock(call.arguments), { className: "call-body" }));
  return html`<li class="step" id="step-${step.step_index}"><p class="role">step ${step.step_index} ${marks} <span class="muted">${plural(step.prompt_tokens, "prompt token")} (predicted ${formatNumber(step.predicted_prompt_tokens)}), ${plural(
    step.completion_tokens,
    "completion token",
  )}, finish ${step.finish_reason ?? "none"}, ids from the ${step.token_source}</span></p>${step.reasoning ? fold(`reasoning (${plural(step.reasoning.length, "character")})`, textBlock(step.reasoning), { className: "reasoning" }) : ""}${
    step.content ? textBlock(step.content) : ""
  }${calls}</li>`;
}
