import { escapeRegExp } from "../tokenize/added-tokens.js";
import type { Tokenizer } from "../tokenize/types.js";
import { type SftConversation, templateMessages } from "./sft.js";

/** Label of a token the loss skips (the value PyTorch's cross-entropy and every trainer ignore). */
export const IGNORE = -100;

export interface TokenizedRow {
  input_ids: number[];
  /** The id where the token is trained, -100 elsewhere. */
  labels: number[];
  /** 1 where the token is trained. */
  loss_mask: number[];
  /** Character spans of the rendered text that are trained (each turn widened to token edges), and the text itself (for checking). */
  spans: { start: number; end: number }[];
  text: string;
  /** The trained messages (indices into the conversation), and the end of the messages the row holds. */
  trained: number[];
  end: number;
}

/**
 * A conversation rendered with the tokenizer's own chat template and tokenized, with labels on the
 * trained assistant turns only. Where each turn starts is found by rendering the conversation before
 * it with the generation prompt (so templates need no `{% generation %}` markers); it ends after the
 * template's end-of-turn token. This needs the template to render earlier turns the same whatever
 * follows: Qwen3 drops the `<think>` of turns before the last user message, so a conversation with
 * several user turns is cut into one row per user turn (`rowsPerUserTurn`), each ending after its
 * turn's last assistant message. A conversation the template cannot render that way is refused
 * with the turn where it breaks, never mis-masked. The trained spans are widened to token edges
 * (`alignToTokens`), so the ids are those of tokenizing the whole text at once.
 */
export function tokenizeConversation(conversation: SftConversation, tokenizer: Tokenizer): TokenizedRow[] {
  const renders = new Renders(conversation, tokenizer);
  const whole = tryRender(conversation, 0, conversation.messages.length, tokenizer, renders);
  if (whole.ok || conversation.trainEverything) {
    if (!whole.ok) throw new Error(whole.reason);
    return [whole.row];
  }
  const rows: TokenizedRow[] = [];
  let from = 0;
  for (const end of userTurnEnds(conversation)) {
    const part = tryRender(conversation, from, end, tokenizer, renders);
    if (!part.ok) throw new Error(part.reason);
    if (part.row.spans.length > 0) rows.push(part.row);
    from = end;
  }
  return rows;
}

/** Where each user turn ends: the index after the last message before the next user message. */
function userTurnEnds(conversation: SftConversation): number[] {
  const ends: number[] = [];
  conversation.messages.forEach((m, i) => {
    if (m.role === "user" && i > 0) ends.push(i);
  });
  ends.push(conversation.messages.length);
  return ends;
}

type Rendered = { ok: true; row: TokenizedRow } | { ok: false; reason: string };

/**
 * The template's renderings of one conversation's prefixes, each rendered once: the rendering before a
 * turn is the same whichever row the turn lands in, and the last row is the whole conversation again.
 */
class Renders {
  private readonly render: (end: number, addGenerationPrompt: boolean) => string;
  private readonly done = new Map<string, string>();

  constructor(conversation: SftConversation, tokenizer: Tokenizer) {
    const tools = conversation.tools.length > 0 ? { tools: conversation.tools } : {};
    this.render = tokenizer.chatTemplatePrefixes(templateMessages(conversation), tools);
  }

  /** The messages before `end`, with the generation prompt or not. */
  upTo(end: number, addGenerationPrompt: boolean): string {
    const key = `${end}${addGenerationPrompt ? "+" : ""}`;
    let text = this.done.get(key);
    if (text === undefined) {
      text = this.render(end, addGenerationPrompt);
      this.done.set(key, text);
    }
    return text;
  }
}

/** The conversation up to `end`, training the turns from `from` on. */
function tryRender(conversation: SftConversation, from: number, end: number, tokenizer: Tokenizer, renders: Renders): Rendered {
  const text = renders.upTo(end, false);
  const endOfTurn = tokenizer.specialTokens.eos?.text;
  const spans: { start: number; end: number }[] = [];
  const trained: number[] = [];
  const trainAll = conversation.trainEverything;
  for (let i = from; i < end && !trainAll; i++) {
    if (!conversation.train[i]) continue;
    const prefix = renders.upTo(i, true);
    if (!text.startsWith(prefix)) return { ok: false, reason: `the chat template renders the turns before message ${i} differently once later turns follow (it is not append-only there)` };
    const stop = endOfTurn === undefined ? -1 : text.indexOf(endOfTurn, prefix.length);
    const next = stop === -1 ? nextTurnStart(renders, i, text) : stop + endOfTurn!.length;
    const message = conversation.messages[i]!;
    const spanText = text.slice(prefix.length, next);
    // A template that drops a turn's reasoning (or content) once later turns follow would train the model on less than it wrote.
    const lost = [message.reasoning_content, message.content].find((part) => part !== undefined && part.trim() !== "" && !spanText.includes(part.trim()));
    if (lost !== undefined) return { ok: false, reason: `the chat template leaves part of message ${i} out once later turns follow (Qwen3 drops the reasoning of turns before the last user message)` };
    spans.push({ start: prefix.length, end: next });
    trained.push(i);
  }
  if (trainAll) spans.push({ start: 0, end: text.length });
  const aligned = alignToTokens(text, spans, tokenizer);
  const { ids, mask } = encodeSpans(text, aligned, tokenizer);
  if (trainAll) conversation.messages.slice(0, end).forEach((m, i) => m.role === "assistant" && trained.push(i));
  return { ok: true, row: { input_ids: ids, labels: ids.map((id, k) => (mask[k] ? id : IGNORE)), loss_mask: mask.map((t) => (t ? 1 : 0)), spans: aligned, text, trained, end } };
}

/** Without an end-of-turn token: the turn ends where the rendering of the conversation up to it ends. */
function nextTurnStart(renders: Renders, i: number, text: string): number {
  const upTo = renders.upTo(i + 1, false);
  return text.startsWith(upTo) ? upTo.trimEnd().length : text.length;
}

/**
 * The trained spans widened to token edges, by the rule transformers applies to the spans a template's
 * `{% generation %}` block marks (`return_assistant_tokens_mask`, which TRL's `assistant_only_loss`
 * trains on): every token that holds a character of the span is trained. A token can straddle a turn's
 * edge: an assistant text opening with "\n\n" merges with the newline that ends Qwen3's
 * `<|im_start|>assistant\n` into one "\n\n\n" token, which is then trained.
 *
 * A chat template's tokenizer finds its added tokens (`<|im_start|>`, `<think>`, …) before the BPE runs,
 * so an edge at an added token is a token edge, one inside an added token widens to it, and otherwise
 * only the run of text between added tokens that holds the edge can change. In that run the token edge
 * is the nearest cut (going outward) where tokenizing the run in two gives the ids of tokenizing it
 * whole: the run's own ends always are. Only the run is tokenized, not the text (it may be megabytes).
 */
function alignToTokens(text: string, spans: readonly Span[], tokenizer: Tokenizer): Span[] {
  if (spans.length === 0) return [];
  const added = addedTokens(tokenizer);
  const edges = added === undefined ? [] : [...text.matchAll(added)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const aligned: Span[] = [];
  for (const span of spans) {
    const start = Math.max(tokenEdge(text, span.start, -1, edges, tokenizer), aligned.at(-1)?.end ?? 0);
    aligned.push({ start, end: Math.max(start, tokenEdge(text, span.end, 1, edges, tokenizer)) });
  }
  return aligned;
}

type Span = { start: number; end: number };

/** The token edge at `at`, or the nearest one before it (`direction` -1) or after it (1). */
function tokenEdge(text: string, at: number, direction: -1 | 1, edges: readonly Span[], tokenizer: Tokenizer): number {
  let runStart = 0;
  let runEnd = text.length;
  for (const token of edges) {
    if (token.end === at || token.start === at) return at;
    if (token.start < at && at < token.end) return direction < 0 ? token.start : token.end;
    if (token.end < at) runStart = token.end;
    else if (token.start > at) {
      runEnd = token.start;
      break;
    }
  }
  if (at === runStart || at === runEnd) return at;
  const run = text.slice(runStart, runEnd);
  const whole = tokenizer.encode(run);
  for (let cut = at - runStart; cut > 0 && cut < run.length; cut += direction) {
    const left = tokenizer.encode(run.slice(0, cut));
    if (left.length < whole.length && left.every((id, k) => id === whole[k])) {
      const right = tokenizer.encode(run.slice(cut));
      if (left.length + right.length === whole.length && right.every((id, k) => id === whole[left.length + k])) return runStart + cut;
    }
  }
  return direction < 0 ? runStart : runEnd;
}

const addedPatterns = new WeakMap<Tokenizer, RegExp | undefined>();

/** The tokenizer's added tokens as one pattern, longest first (as its own splitter matches them). */
function addedTokens(tokenizer: Tokenizer): RegExp | undefined {
  if (!addedPatterns.has(tokenizer)) {
    const texts = [...tokenizer.specialTokens.all.keys()].filter((t) => t !== "").sort((a, b) => b.length - a.length);
    addedPatterns.set(tokenizer, texts.length === 0 ? undefined : new RegExp(texts.map(escapeRegExp).join("|"), "gu"));
  }
  return addedPatterns.get(tokenizer);
}

function encodeSpans(text: string, spans: readonly Span[], tokenizer: Tokenizer): { ids: number[]; mask: boolean[] } {
  const ids: number[] = [];
  const mask: boolean[] = [];
  let at = 0;
  const add = (piece: string, train: boolean) => {
    for (const id of tokenizer.encode(piece)) {
      ids.push(id);
      mask.push(train);
    }
  };
  for (const span of spans) {
    if (span.start > at) add(text.slice(at, span.start), false);
    add(text.slice(span.start, span.end), true);
    at = span.end;
  }
  if (at < text.length) add(text.slice(at), false);
  return { ids, mask };
}
