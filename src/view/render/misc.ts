import type { Entry, RenderContext } from "../context.js";
import { type Html, html } from "../html.js";
import { badge, facts, formatNumber, jsonBlock, link, shorten, textBlock } from "./common.js";
import { isRecord } from "../../json.js";

type Json = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined);

/** A graded eval item (acc eval's results.jsonl). */
export interface EvalResult {
  id: string;
  group: string;
  tokens: number;
  bin: string;
  score: number;
  detail?: unknown;
  response?: string | null;
}

export function isEvalResult(value: Json): boolean {
  return typeof value.id === "string" && typeof value.group === "string" && typeof value.bin === "string" && typeof value.score === "number" && typeof value.tokens === "number";
}

export function evalOutcome(r: EvalResult): string {
  return r.score >= 1 ? "correct" : r.score <= 0 ? "wrong" : "partial";
}

export function evalEntry(r: EvalResult, path: string): Entry {
  return { path, title: `${r.id} · score ${formatNumber(r.score)}`, domain: r.group, length: r.tokens, outcome: evalOutcome(r), text: shorten(`${r.bin} ${r.response ?? ""}`, 240) };
}

export function renderEvalResult(r: EvalResult, raw: Json): Html {
  const outcome = evalOutcome(r);
  const { response: _response, ...rest } = raw;
  return html`${facts([
    ["score", html`${badge(outcome, outcome === "correct" ? "good" : outcome === "wrong" ? "bad" : "warn")} ${formatNumber(r.score)}`],
    ["group", r.group],
    ["length", `${formatNumber(r.tokens)} tokens (bin ${r.bin})`],
  ])}<h2>Response</h2>${typeof r.response === "string" ? textBlock(r.response) : html`<p class="note">No response.</p>`}<h2>Grading</h2>${jsonBlock(rest)}`;
}

/** A line of a rejects file (import, compile, teach) or of teach's outcomes: something that did not go through, and why. */
export function isReject(value: Json): boolean {
  if (typeof value.reason !== "string") return false;
  return (typeof value.file === "string" && typeof value.locator === "object") || value.stage === "compile" || (typeof value.sample_id === "string" && (typeof value.candidate === "number" || value.outcome === "rejected" || value.outcome === "kept"));
}

export function rejectReason(value: Json): string {
  return str(value.code) ?? str(value.reason) ?? "unknown";
}

export function rejectEntry(value: Json, path: string): Entry {
  const where = rejectWhere(value);
  const reason = str(value.reason) ?? "";
  const outcome = value.outcome === "kept" ? "kept" : shorten(str(value.code) ?? reason, 60);
  return {
    path,
    title: shorten(`${where ? `${where}: ` : ""}${reason}`, 160),
    domain: str(value.domain) ?? str(value.stage) ?? str(value.format) ?? "",
    length: null,
    outcome,
    text: shorten(`${str(value.trajectory_id) ?? ""} ${str(value.sample_id) ?? ""} ${str(value.detail) ?? ""}`, 240),
  };
}

function rejectWhere(value: Json): string {
  const locator = typeof value.locator === "object" && value.locator !== null ? (value.locator as Json) : {};
  const file = str(value.file);
  if (file === undefined) return str(value.sample_id) ?? "";
  const at = str(locator.line) ?? (locator.index !== undefined ? `#${str(locator.index)}` : str(locator.event_file));
  return at === undefined ? file : `${file}:${at}`;
}

export function renderReject(value: Json, ctx: RenderContext): Html {
  const trajectory = str(value.trajectory_id);
  const sample = str(value.sample_id);
  return html`${facts([
    ["where", rejectWhere(value)],
    ["reason", str(value.reason)],
    ["code", str(value.code)],
    ["stage", str(value.stage)],
    ["format", str(value.format)],
    ["trajectory", trajectory ? link(ctx.recordHref("trajectory", trajectory), trajectory) : undefined],
    ["sample", sample ? link(ctx.recordHref("sample", sample), sample) : undefined],
    ["detail", str(value.detail)],
  ])}${typeof value.content === "string" ? html`<h2>Candidate's reply</h2>${textBlock(value.content)}` : ""}<h2>The whole line</h2>${jsonBlock(value)}`;
}

/** Any other JSON line: its fields. */
export function recordEntry(value: unknown, path: string, line: number): Entry {
  const obj: Json = isRecord(value) ? value : {};
  const id = str(obj.id) ?? str(obj.instance_id) ?? str(obj.row_id) ?? `line ${line}`;
  const title = str(obj.question) ?? str(obj.title) ?? str(obj.name) ?? id;
  return { path, title: shorten(title, 140), domain: str(obj.domain) ?? str(obj.group) ?? "", length: null, outcome: str(obj.outcome) ?? "", text: shorten(`${id} ${JSON.stringify(value)}`, 240) };
}

export function renderRecord(value: unknown, problems: string | undefined): Html {
  return html`${problems ? html`<p class="note">${problems}</p>` : ""}${jsonBlock(value)}`;
}
