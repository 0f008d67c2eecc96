import type { FinishReason } from "../llm/finish-reason.js";
import type { Domain } from "../records/trajectory.js";
import type { Candidate } from "../verify/types.js";

/** The parts of a teacher's reply that parsing needs (a ChatResult fits). */
export interface TeacherReply {
  content: string | null;
  /** From `reasoning_content`, `reasoning` or a leading `<think>` block (the client has split it off). */
  reasoning: string | null;
  finish: FinishReason | null;
}

export type ParsedReply =
  | { ok: true; candidate: Candidate; reasoning: string | null }
  | { ok: false; reason: "truncated" | "no-final-answer"; detail: string };

const MARKER = /^[ \t>*_#]*final answer[ \t*_]*[:：][ \t*_]*/gim;
const FENCE = /```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$(?![\s\S]))/g;

/**
 * Splits a teacher's reply into reasoning and the final answer. The answer is, in order of preference:
 * the paragraph after the last `Final answer:` line (a fenced block there is taken whole), the last
 * `<answer>…</answer>`, the last `\boxed{…}`; with reasoning in a separate channel and none of these,
 * the whole content. SWE answers are the last unified diff (```diff block, or raw from `diff --git`).
 * Text before the answer joins the reasoning. SQL answers that are a query (```sql block or a bare
 * SELECT/WITH) also give `sql`. A reply cut off at max_tokens is rejected as truncated.
 */
export function parseTeacherReply(reply: TeacherReply, domain: Domain): ParsedReply {
  if (reply.finish === "length") return { ok: false, reason: "truncated", detail: "the reply was cut off at max_tokens (finish_reason length)" };
  const content = (reply.content ?? "").trim();
  const separate = reply.reasoning?.trim() || null;
  if (content === "") return { ok: false, reason: "no-final-answer", detail: separate ? "reasoning but no content" : "empty reply" };
  const found = domain === "swe" ? findDiff(content) : findAnswer(content, separate !== null);
  if (!found || found.answer.trim() === "") {
    const what = domain === "swe" ? "no unified diff" : "no `Final answer:` line, <answer> tag or \\boxed{}";
    return { ok: false, reason: "no-final-answer", detail: `${what} in the reply` };
  }
  const reasoning = [separate, found.before.trim() || null].filter((part): part is string => part !== null).join("\n\n") || null;
  const candidate: Candidate = { answer: found.answer };
  if (domain === "swe") candidate.patch = found.answer;
  const sql = domain === "sql" ? queryIn(found.answer) : undefined;
  if (sql !== undefined) candidate.sql = sql;
  return { ok: true, candidate, reasoning };
}

interface Found {
  answer: string;
  /** The content before the answer (reasoning written in the reply itself). */
  before: string;
}

function findAnswer(content: string, reasoningApart: boolean): Found | undefined {
  const marker = [...content.matchAll(MARKER)].at(-1);
  if (marker) {
    const start = marker.index + marker[0].length;
    return { answer: clean(firstParagraph(content.slice(start))), before: content.slice(0, marker.index) };
  }
  const tag = [...content.matchAll(/<answer>([\s\S]*?)<\/answer>/gi)].at(-1);
  if (tag) return { answer: clean(tag[1]!), before: content.slice(0, tag.index) };
  const boxed = lastBoxed(content);
  if (boxed) return boxed;
  return reasoningApart ? { answer: content, before: "" } : undefined;
}

/** The text up to the first blank line after some answer text; a fenced block is taken to its closing fence. */
function firstParagraph(text: string): string {
  const body = text.replace(/^[ \t]*\n/, "");
  if (/^\s*```/.test(body)) {
    const close = body.indexOf("```", body.indexOf("```") + 3);
    return close === -1 ? body : body.slice(0, close + 3);
  }
  const end = /\n[ \t]*\n/.exec(body);
  return end ? body.slice(0, end.index) : body;
}

/** Markdown emphasis or quotes wrapped around the whole answer are not part of it. */
function clean(answer: string): string {
  let text = answer.trim();
  for (const wrap of ["**", "__", "*", "_", "`"]) {
    if (text.length > 2 * wrap.length && text.startsWith(wrap) && text.endsWith(wrap) && !text.startsWith("```")) text = text.slice(wrap.length, -wrap.length).trim();
  }
  return text;
}

function lastBoxed(content: string): Found | undefined {
  const start = content.lastIndexOf("\\boxed{");
  if (start === -1) return undefined;
  let depth = 0;
  for (let i = start + "\\boxed".length; i < content.length; i++) {
    if (content[i] === "{") depth++;
    else if (content[i] === "}" && --depth === 0) return { answer: content.slice(start + "\\boxed{".length, i).trim(), before: content.slice(0, start) };
  }
  return undefined;
}

function findDiff(content: string): Found | undefined {
  const blocks = [...content.matchAll(FENCE)];
  const isDiff = (language: string, body: string) => language === "diff" || language === "patch" || /^(diff --git |--- )/m.test(body);
  const block = blocks.filter((b) => isDiff(b[1]!.toLowerCase(), b[2]!)).at(-1);
  if (block) return { answer: withNewline(block[2]!), before: content.slice(0, block.index) };
  const raw = /^(diff --git |--- (?:a\/|\/dev\/null))/m.exec(content);
  if (raw) return { answer: withNewline(content.slice(raw.index).replace(/\n```[\s\S]*$/, "")), before: content.slice(0, raw.index) };
  return undefined;
}

const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

/** The SQL query an answer consists of: a ```sql block, or the whole answer when it is a SELECT or WITH statement. */
function queryIn(answer: string): string | undefined {
  const block = [...answer.matchAll(FENCE)].find((b) => b[1]!.toLowerCase() === "sql");
  if (block) return block[2]!.trim();
  return /^\s*(select|with)\b/i.test(answer) ? answer.trim() : undefined;
}
