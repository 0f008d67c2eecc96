import { pythonStrip } from "./python-strip.js";
import type { TemplateMessage } from "./types.js";

/** sha256 of Qwen3-0.6B's published chat template (4,168 bytes). */
export const QWEN3_CHAT_TEMPLATE_SHA256 = "a55ee1b1660128b7098723e0abcd92caa0788061051c62d51cbe87d9cf1974d8";

/** What Qwen3's template appends for `add_generation_prompt` when `enable_thinking` is not given. */
const GENERATION_PROMPT = "<|im_start|>assistant\n";

/**
 * Where a turn starts in Qwen3's chat template rendering, worked out from the template's own rules
 * instead of rendering every prefix of the conversation again: that was quadratic in a conversation's
 * length (a 292-message Claude Code session rendered 54 M characters to place 139 turns).
 *
 * The template renders, after a header that reads only `tools` and `messages[0]`, one segment per message.
 * A message's segment reads the message, its neighbours' roles, whether it is the last one, and whether
 * it comes after the last user query (`ns.last_query_index`). So the rendering of the messages before `i`
 * (with the generation prompt) is the start of the rendering up to `end` exactly when every segment
 * before message `i - 1` reads the same there — only an assistant turn whose segment depends on its
 * side of the last query can differ, when that side moves — and message `i - 1`'s segment as the last
 * one, plus the generation prompt, is what the longer rendering holds at that place (compared as text).
 *
 * The segments here are the template's rules in TypeScript, with Python's string methods (as ChatTemplate
 * renders them: src/tokenize/python-strip.ts). Each rendering they
 * are used on is checked against the template's own rendering, which must end with the segments
 * one after the other; where it does not, or a value is one these rules do not read (arguments that are not text),
 * the caller renders the prefix instead.
 */
export class Qwen3Turns {
  private readonly layouts = new Map<number, Layout | undefined>();
  /** Per message: whether its segment (not being the last) depends on its side of the last query. */
  private readonly sided: (boolean | undefined)[] = [];

  /** `render(end)`: the template's own rendering of the messages before `end`, without the generation prompt. */
  constructor(
    private readonly messages: readonly TemplateMessage[],
    private readonly render: (end: number) => string,
  ) {}

  /**
   * Where message `i` starts in the rendering up to `end`: the length of the rendering of the messages
   * before `i` with the generation prompt, when it is the start of the longer one; `false` when it is
   * not; undefined when these rules cannot tell.
   */
  turnStart(end: number, i: number): number | false | undefined {
    if (i < 1 || i >= end) return undefined;
    const layout = this.layout(end);
    if (layout === undefined) return undefined;
    const query = lastQuery(this.messages, i);
    for (let k = 0; k < i - 1; k++) {
      if (k > query !== k > layout.query && this.sidedSegment(k)) return false;
    }
    const last = segment(this.messages, i - 1, i, query);
    if (last === undefined) return undefined;
    return matchAt(layout.text, [...last, GENERATION_PROMPT], layout.starts[i - 1]!);
  }

  private layout(end: number): Layout | undefined {
    if (this.layouts.has(end)) return this.layouts.get(end);
    const text = this.render(end);
    const query = lastQuery(this.messages, end);
    const segments: string[][] = [];
    let layout: Layout | undefined;
    for (let k = 0; k < end; k++) {
      const s = segment(this.messages, k, end, query);
      if (s === undefined) break;
      segments.push(s);
    }
    if (segments.length === end) {
      const starts = new Array<number>(end);
      let at = text.length;
      for (let k = end - 1; k >= 0 && at >= 0; k--) starts[k] = at -= length(segments[k]!);
      if (at >= 0 && segments.every((s, k) => matchAt(text, s, starts[k]!) !== false)) layout = { text, query, starts };
    }
    this.layouts.set(end, layout);
    return layout;
  }

  private sidedSegment(k: number): boolean {
    let sided = this.sided[k];
    if (sided === undefined) {
      // Not the last message: the next one exists in both renderings.
      sided = this.messages[k]!.role === "assistant" && segment(this.messages, k, k + 2, -1)?.join("") !== segment(this.messages, k, k + 2, k)?.join("");
      this.sided[k] = sided;
    }
    return sided;
  }
}

interface Layout {
  text: string;
  /** `ns.last_query_index` of the rendering. */
  query: number;
  /** Where each message's segment starts in `text`. */
  starts: number[];
}

/** The template's `ns.last_query_index` for the first `n` messages: the last user message that is not a tool response. */
function lastQuery(messages: readonly TemplateMessage[], n: number): number {
  for (let k = n - 1; k >= 0; k--) {
    const { role, content } = messages[k]!;
    if (role === "user" && typeof content === "string" && !(content.startsWith("<tool_response>") && content.endsWith("</tool_response>"))) return k;
  }
  return n - 1;
}

/** Where `pieces`, one after the other from `at`, end in `text`; false when `text` holds other text there. */
function matchAt(text: string, pieces: readonly string[], at: number): number | false {
  for (const piece of pieces) {
    if (!text.startsWith(piece, at)) return false;
    at += piece.length;
  }
  return at;
}

function length(pieces: readonly string[]): number {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  return total;
}

/**
 * Message `k`'s segment in the rendering of the first `n` messages whose last query is `query`, as
 * pieces (compared with the rendering one by one: joining them would copy every message's text);
 * undefined for a value these rules do not read as the template does.
 */
function segment(messages: readonly TemplateMessage[], k: number, n: number, query: number): string[] | undefined {
  const message = messages[k]!;
  const role = message.role;
  let content = typeof message.content === "string" ? message.content : "";
  if (role === "user" || (role === "system" && k > 0)) return ["<|im_start|>", role, "\n", content, "<|im_end|>\n"];
  if (role === "tool") {
    const open = k === 0 || messages[k - 1]!.role !== "tool" ? "<|im_start|>user" : "";
    const close = k === n - 1 || messages[k + 1]!.role !== "tool" ? "<|im_end|>\n" : "";
    return [open, "\n<tool_response>\n", content, "\n</tool_response>", close];
  }
  if (role !== "assistant") return [];
  let reasoning = "";
  if (typeof message.reasoning_content === "string") reasoning = message.reasoning_content;
  else if (content.includes("</think>")) {
    reasoning = pythonStrip("lstrip", pythonStrip("rstrip", content.split("</think>")[0]!, "\n").split("<think>").at(-1)!, "\n");
    content = pythonStrip("lstrip", content.split("</think>").at(-1)!, "\n");
  }
  const out = k > query && (k === n - 1 || reasoning !== "") ? ["<|im_start|>assistant\n<think>\n", pythonStrip("strip", reasoning, "\n"), "\n</think>\n\n", pythonStrip("lstrip", content, "\n")] : ["<|im_start|>assistant\n", content];
  const calls = message.tool_calls;
  if (calls !== undefined && !Array.isArray(calls)) return undefined;
  for (const [j, value] of (calls ?? []).entries()) {
    if (j > 0 || content !== "") out.push("\n");
    const call = typeof value === "object" && value !== null && "function" in value ? (value as { function: unknown }).function : value;
    if (typeof call !== "object" || call === null) return undefined;
    const { name, arguments: args } = call as { name?: unknown; arguments?: unknown };
    if (typeof name !== "string" || typeof args !== "string") return undefined;
    out.push('<tool_call>\n{"name": "', name, '", "arguments": ', args, "}\n</tool_call>");
  }
  out.push("<|im_end|>\n");
  return out;
}
