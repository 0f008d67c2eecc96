/** One piece of a tagged text stream, in order. */
export type Segment =
  | { kind: "text"; text: string }
  | { kind: "think"; text: string }
  | { kind: "call"; tag: CallTag; body: string; closed: boolean }
  | { kind: "result"; tag: string; body: string; closed: boolean }
  /** Search-R1's fixed reply to an action it could not parse, which the environment writes into the stream. */
  | { kind: "feedback"; text: string };

export type CallTag = "search" | "tool_call" | "search_query" | "click_link";
export type Dialect = "search-r1" | "tongyi" | "search-o1";

interface Span {
  open: string;
  close: string;
  kind: "call" | "result";
  tag: string;
  dialect: Dialect;
}

const SPANS: Span[] = [
  { open: "<search>", close: "</search>", kind: "call", tag: "search", dialect: "search-r1" },
  { open: "<information>", close: "</information>", kind: "result", tag: "information", dialect: "search-r1" },
  { open: "<tool_call>", close: "</tool_call>", kind: "call", tag: "tool_call", dialect: "tongyi" },
  { open: "<tool_response>", close: "</tool_response>", kind: "result", tag: "tool_response", dialect: "tongyi" },
  { open: "<|begin_search_query|>", close: "<|end_search_query|>", kind: "call", tag: "search_query", dialect: "search-o1" },
  { open: "<|begin_search_result|>", close: "<|end_search_result|>", kind: "result", tag: "search_result", dialect: "search-o1" },
  { open: "<|begin_click_link|>", close: "<|end_click_link|>", kind: "call", tag: "click_link", dialect: "search-o1" },
  { open: "<|begin_click_result|>", close: "<|end_click_result|>", kind: "result", tag: "click_result", dialect: "search-o1" },
];
const BY_OPEN = new Map(SPANS.map((span) => [span.open, span]));
const FEEDBACK = String.raw`\n?My previous action is invalid\.[^\n]{0,400}?Let me try again\.\n?`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const TOKEN = new RegExp([...SPANS.map((s) => escapeRegExp(s.open)), "<think>", "</think>", FEEDBACK].join("|"), "g");

/** Every tag the stream is split on, with chat-template turn markers: markup for the lossless audit. */
export const STREAM_MARKUP = new RegExp(
  [
    ...SPANS.flatMap((s) => [escapeRegExp(s.open), escapeRegExp(s.close)]),
    "</?think>",
    "</?answer>",
    String.raw`<\|im_start\|>\w*`,
    String.raw`<\|im_end\|>`,
    String.raw`<\|endoftext\|>`,
  ].join("|"),
);

/** True when the text holds an opening call or result tag of any dialect. */
export function hasToolTags(text: string): boolean {
  return SPANS.some((span) => text.includes(span.open));
}

/** The dialect whose call or result tags the text uses first, if any. */
export function dialectOf(text: string): Dialect | undefined {
  let best: { at: number; dialect: Dialect } | undefined;
  for (const span of SPANS) {
    const at = text.indexOf(span.open);
    if (at !== -1 && (best === undefined || at < best.at)) best = { at, dialect: span.dialect };
  }
  return best?.dialect;
}

/**
 * Splits a stream into text, reasoning, calls, results and environment feedback. Calls and results may sit inside
 * an open `<think>` (Search-o1 searches while it reasons): the think text around them stays reasoning. A `</think>`
 * with no opening tag (chat templates that open the think block in the prompt) turns the text before it, back to
 * the last result, into reasoning. An unclosed span runs to the end of the stream.
 */
export function scanStream(stream: string): Segment[] {
  const segments: Segment[] = [];
  let inThink = false;
  let at = 0;
  const pushText = (text: string) => {
    if (text !== "") segments.push({ kind: inThink ? "think" : "text", text });
  };
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(stream); match !== null; match = TOKEN.exec(stream)) {
    const token = match[0];
    pushText(stream.slice(at, match.index));
    at = match.index + token.length;
    if (token === "<think>") {
      inThink = true;
    } else if (token === "</think>") {
      if (!inThink) reasonBackToLastResult(segments);
      inThink = false;
    } else if (token.includes("My previous action is invalid")) {
      segments.push({ kind: "feedback", text: token.trim() });
    } else {
      const span = BY_OPEN.get(token)!;
      const end = stream.indexOf(span.close, at);
      const body = stream.slice(at, end === -1 ? stream.length : end);
      segments.push(
        span.kind === "call"
          ? { kind: "call", tag: span.tag as CallTag, body, closed: end !== -1 }
          : { kind: "result", tag: span.tag, body, closed: end !== -1 },
      );
      at = end === -1 ? stream.length : end + span.close.length;
    }
    TOKEN.lastIndex = at;
  }
  pushText(stream.slice(at));
  return segments;
}

function reasonBackToLastResult(segments: Segment[]): void {
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    if (segment.kind === "result" || segment.kind === "feedback") return;
    if (segment.kind === "text") segments[i] = { kind: "think", text: segment.text };
  }
}
