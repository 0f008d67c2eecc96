import type { Message, ToolCall, Trajectory, TrajectoryEvent } from "../../records/trajectory.js";
import type { Entry, RenderContext } from "../context.js";
import { type Html, html } from "../html.js";
import { badge, facts, fold, formatNumber, jsonBlock, link, list, plural, section, shorten, textBlock } from "./common.js";

export function trajectoryOutcome(t: Trajectory): string {
  return t.outcome.success === true ? "success" : t.outcome.success === false ? "failure" : "unknown";
}

/** Characters of every message's text, reasoning and tool arguments: the length the list filters on. */
export function trajectoryChars(t: Trajectory): number {
  let chars = 0;
  for (const m of t.messages) {
    chars += m.content?.length ?? 0;
    if (m.role === "assistant") {
      chars += m.reasoning?.length ?? 0;
      for (const call of m.tool_calls) chars += call.raw_arguments?.length ?? JSON.stringify(call.arguments ?? null).length;
    }
  }
  return chars;
}

export function trajectoryEntry(t: Trajectory, path: string): Entry {
  const question = t.task.question ?? t.messages.find((m) => m.role === "user")?.content ?? "";
  return {
    path,
    title: shorten(question, 140) || t.id,
    domain: t.domain,
    length: trajectoryChars(t),
    outcome: trajectoryOutcome(t),
    text: shorten(`${t.id} ${t.source.format} ${t.model ?? ""} ${t.final.answer ?? ""}`, 240),
  };
}

export function trajectoryTitle(t: Trajectory): string {
  return `Trajectory ${shorten(t.id, 80)}`;
}

/** A trajectory: task and outcome, then the conversation with tool calls and results folded, events in place. */
export function renderTrajectory(t: Trajectory, ctx: RenderContext): Html {
  const subagentByCall = new Map(t.subagents.filter((s) => s.call_id !== undefined).map((s) => [s.call_id!, s]));
  const eventsAt = new Map<number, TrajectoryEvent[]>();
  for (const event of t.events) eventsAt.set(event.message_index, [...(eventsAt.get(event.message_index) ?? []), event]);
  const calls = t.messages.reduce((n, m) => n + (m.role === "assistant" ? m.tool_calls.length : 0), 0);
  const source = `${t.source.format}${t.source.format_version ? ` ${t.source.format_version}` : ""} · ${t.source.file}${locatorText(t.source.locator)}`;

  const header = facts([
    ["outcome", outcomeBadge(t)],
    ["domain", t.domain],
    ["model", t.model],
    ["source", source],
    ["messages", html`${plural(t.messages.length, "message")}, ${plural(calls, "tool call")}, ${plural(trajectoryChars(t), "character")}`],
    ["reward", t.outcome.reward === null ? undefined : formatNumber(t.outcome.reward)],
    ["label from", t.outcome.label_source],
    ["exit status", t.outcome.exit_status],
    ["parent", t.parent ? link(ctx.recordHref("trajectory", t.parent.trajectory_id), `trajectory ${t.parent.trajectory_id}`) : undefined],
    ["secrets", t.secrets ? `${t.secrets.mode}: ${Object.entries(t.secrets.counts).map(([k, v]) => `${k} ${v}`).join(", ")}` : undefined],
  ]);

  const task = section(
    "Task",
    html`${facts([
      ["question from", t.task.question_origin],
      ["ground truth", t.task.ground_truth],
      ["instance", t.task.instance_id],
      ["repository", t.task.repo ? [t.task.repo.name, t.task.repo.url, t.task.repo.base_commit].filter(Boolean).join(" · ") : undefined],
      ["database", t.task.database ? [t.task.database.engine, t.task.database.db_id, t.task.database.path].filter(Boolean).join(" · ") : undefined],
    ])}${t.task.question === null ? html`<p class="note">No question was found in the log.</p>` : textBlock(t.task.question)}${
      t.task.system_prompt ? fold(`system prompt (${plural(t.task.system_prompt.length, "character")})`, textBlock(t.task.system_prompt)) : ""
    }${t.tools && t.tools.length > 0 ? fold(`${plural(t.tools.length, "tool")}: ${shorten(t.tools.map((tool) => tool.name).join(", "), 200)}`, jsonBlock(t.tools)) : ""}`,
    "task",
  );

  const subagents =
    t.subagents.length === 0
      ? ""
      : section(
          "Sub-agents",
          list(t.subagents.map((s) => html`${link(ctx.recordHref("trajectory", s.trajectory_id), s.trajectory_id)}${s.agent_type ? ` (${s.agent_type})` : ""}${s.call_id ? html` · from call <a href="#call-${s.call_id}">${s.call_id}</a>` : ""}`)),
          "subagents",
        );

  const messages = t.messages.map((m, i) => html`${(eventsAt.get(i) ?? []).map(renderEvent)}${renderMessage(m, i, subagentByCall, ctx)}`);
  const trailing = [...eventsAt.entries()].filter(([index]) => index >= t.messages.length).flatMap(([, events]) => events.map(renderEvent));

  const final = section(
    "Final answer",
    html`${facts([
      ["from", t.final.kind],
      ["success", t.outcome.success === null ? "unknown" : String(t.outcome.success)],
    ])}${t.final.answer === null ? html`<p class="note">No final answer.</p>` : textBlock(t.final.answer)}${t.final.reasoning ? fold("reasoning", textBlock(t.final.reasoning), { className: "reasoning" }) : ""}${
      t.outcome.submitted_patch ? fold("submitted patch", textBlock(t.outcome.submitted_patch, "diff")) : ""
    }${t.outcome.submitted_sql ? fold("submitted SQL", textBlock(t.outcome.submitted_sql)) : ""}`,
    "final",
  );

  const warnings = t.warnings && t.warnings.length > 0 ? section("Importer warnings", list(t.warnings.map((w) => html`<code>${w.code}</code> ${w.message}`)), "warnings") : "";
  const extra = Object.keys(t.extra).length > 0 ? section("Other source fields", jsonBlock(t.extra), "extra") : "";

  return html`${header}${task}${subagents}<section class="part" aria-labelledby="conversation"><h2 id="conversation">Conversation</h2>
<p class="tools"><button type="button" data-action="expand">Expand all</button> <button type="button" data-action="collapse">Collapse all</button></p>
<ol class="messages">${messages}${trailing}</ol></section>${final}${warnings}${extra}`;
}

function outcomeBadge(t: Trajectory): Html {
  const outcome = trajectoryOutcome(t);
  return badge(outcome, outcome === "success" ? "good" : outcome === "failure" ? "bad" : "muted");
}

function locatorText(locator: Trajectory["source"]["locator"]): string {
  if (locator.line !== undefined) return `:${locator.line}${locator.line_end !== undefined && locator.line_end !== locator.line ? `-${locator.line_end}` : ""}`;
  if (locator.index !== undefined) return ` #${locator.index}`;
  if (locator.event_file !== undefined) return ` (${locator.event_file})`;
  return locator.json_pointer ?? "";
}

function renderEvent(event: TrajectoryEvent): Html {
  const what = `${event.kind}${event.trigger ? ` (${event.trigger})` : ""}${event.tokens_before !== undefined ? ` · ${plural(event.tokens_before, "token")} before` : ""} · ${event.marker}`;
  return html`<li class="event"><p>${badge(event.kind, "warn")} ${what}</p>${event.summary ? fold(`summary (${plural(event.summary.length, "character")})`, textBlock(event.summary), { open: true }) : ""}</li>`;
}

function renderMessage(m: Message, index: number, subagents: Map<string, Trajectory["subagents"][number]>, ctx: RenderContext): Html {
  const meta = html`${m.in_context === false ? badge("replaced by a compaction", "muted") : ""}${m.source_role ? html` <span class="muted">source role: ${m.source_role}</span>` : ""}${m.timestamp ? html` <time>${m.timestamp}</time>` : ""}`;
  const head = (label: Html | string) => html`<p class="role">${label} <a class="anchor" href="#m-${index}" aria-label="link to message ${index}">#${index}</a> ${meta}</p>`;
  const classes = `message ${m.role}${m.in_context === false ? " out-of-context" : ""}`;
  switch (m.role) {
    case "system":
      return html`<li class="${classes}" id="m-${index}">${head("system")}${fold(`system message (${plural(m.content.length, "character")})`, textBlock(m.content))}</li>`;
    case "user":
      return html`<li class="${classes}" id="m-${index}">${head("user")}${textBlock(m.content)}</li>`;
    case "assistant":
      return html`<li class="${classes}" id="m-${index}">${head(html`assistant${m.model ? html` <span class="muted">${m.model}</span>` : ""}`)}${
        m.reasoning ? fold(`reasoning (${plural(m.reasoning.length, "character")})`, textBlock(m.reasoning), { className: "reasoning" }) : ""
      }${m.content ? textBlock(m.content) : ""}${m.tool_calls.map((call) => renderCall(call, subagents, ctx))}</li>`;
    case "tool": {
      const label = html`${m.is_error ? badge("error", "bad") : ""} result${m.name ? ` of ${m.name}` : ""}${m.call_id ? ` (${m.call_id})` : ""} · ${plural(m.content.length, "character")}${
        m.pairing !== "id" ? ` · paired by ${m.pairing}` : ""
      } · ${shorten(m.content, 100)}`;
      return html`<li class="${classes}" id="m-${index}">${head("tool")}${fold(label, textBlock(m.content), { className: m.is_error ? "result error" : "result" })}</li>`;
    }
  }
}

function renderCall(call: ToolCall, subagents: Map<string, Trajectory["subagents"][number]>, ctx: RenderContext): Html {
  const args = call.raw_arguments ?? JSON.stringify(call.arguments, null, 2);
  const pretty = call.raw_arguments !== null && call.arguments !== null && typeof call.arguments === "object" ? JSON.stringify(call.arguments, null, 2) : args;
  const sub = subagents.get(call.id);
  return html`<div class="call" id="call-${call.id}">${fold(
    html`call <code>${call.name}</code> ${shorten(args ?? "", 120)}`,
    html`${textBlock(pretty ?? "")}${call.arguments_error ? html`<p class="note">arguments did not parse: ${call.arguments_error}</p>` : ""}<p class="muted">id ${call.id} (${call.id_origin}), ${call.type}</p>`,
    { className: "call-body" },
  )}${sub ? html`<p class="subagent">${badge("sub-agent", "info")} ${link(ctx.recordHref("trajectory", sub.trajectory_id), sub.agent_type ? `${sub.agent_type}: ${sub.trajectory_id}` : sub.trajectory_id)}</p>` : ""}</div>`;
}
