import { escapeRegExp } from "../tokenize/added-tokens.js";
import { TextMemory } from "../tokenize/pieces.js";
import type { ChatTurns, Tokenizer } from "../tokenize/types.js";
import { type SftConversation, templateMessages } from "./sft.js";
import { ChatTemplateError } from "../tokenize/errors.js";

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
 * trained assistant turns only. A turn starts where the conversation before it, rendered with the
 * generation prompt, ends (so templates need no `{% generation %}` markers; `Tokenizer.chatTemplateTurns`
 * finds it, for Qwen3's template without rendering that prefix again); it ends after the
 * template's end-of-turn token. This needs the template to render earlier turns the same whatever
 * follows: Qwen3 drops the `<think>` of turns before the last user message, so a conversation with
 * several user turns is cut into one row per user turn (`rowsPerUserTurn`), each ending after its
 * turn's last assistant message. A conversation the template cannot render that way is refused
 * with the turn where it breaks, never mis-masked. The trained spans are widened to token edges
 * (`tokenizeSpans`), and the ids are those of tokenizing the whole text at once.
 */
export function tokenizeConversation(conversation: SftConversation, tokenizer: Tokenizer): TokenizedRow[] {
  const renders = tokenizer.chatTemplateTurns(templateMessages(conversation), conversation.tools.length > 0 ? { tools: conversation.tools } : {});
  const whole = tryRender(conversation, 0, conversation.messages.length, tokenizer, renders);
  if (whole.ok || conversation.trainEverything) {
    if (!whole.ok) throw new ChatTemplateError(whole.reason);
    return [whole.row];
  }
  const rows: TokenizedRow[] = [];
  let from = 0;
  for (const end of userTurnEnds(conversation)) {
    const part = tryRender(conversation, from, end, tokenizer, renders);
    if (!part.ok) throw new ChatTemplateError(part.reason);
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

/** The conversation up to `end`, training the turns from `from` on. */
function tryRender(conversation: SftConversation, from: number, end: number, tokenizer: Tokenizer, renders: ChatTurns): Rendered {
  const text = renders.render(end);
  const endOfTurn = tokenizer.specialTokens.eos?.text;
  const spans: Span[] = [];
  const trained: number[] = [];
  const trainAll = conversation.trainEverything;
  for (let i = from; i < end && !trainAll; i++) {
    if (!conversation.train[i]) continue;
    const start = renders.turnStart(end, i);
    if (start === undefined) return { ok: false, reason: `the chat template renders the turns before message ${i} differently once later turns follow (it is not append-only there)` };
    const stop = endOfTurn === undefined ? -1 : text.indexOf(endOfTurn, start);
    const next = stop === -1 ? nextTurnStart(renders, i, text) : stop + endOfTurn!.length;
    const message = conversation.messages[i]!;
    const spanText = text.slice(start, next);
    // A template that drops a turn's reasoning (or content) once later turns follow would train the model on less than it wrote.
    const lost = [message.reasoning_content, message.content].find((part) => part !== undefined && part.trim() !== "" && !spanText.includes(part.trim()));
    if (lost !== undefined) return { ok: false, reason: `the chat template leaves part of message ${i} out once later turns follow (Qwen3 drops the reasoning of turns before the last user message)` };
    spans.push({ start, end: next });
    trained.push(i);
  }
  if (trainAll) spans.push({ start: 0, end: text.length });
  const { ids, mask, aligned } = tokenizeSpans(text, spans, tokenizer);
  // tiktoken-ranks splits at added tokens as tokenizeSpans does; another backend's added tokens may strip or normalise around them.
  if (tokenizer.info.backend !== "tiktoken-ranks" && !sameIds(ids, tokenizer.encode(text))) {
    return { ok: false, reason: "tokenizing the text between the tokenizer's added tokens apart gives other ids than tokenizing it whole" };
  }
  if (trainAll) conversation.messages.slice(0, end).forEach((m, i) => m.role === "assistant" && trained.push(i));
  return { ok: true, row: { input_ids: ids, labels: ids.map((id, k) => (mask[k] ? id : IGNORE)), loss_mask: mask.map((t) => (t ? 1 : 0)), spans: aligned, text, trained, end } };
}

/** Without an end-of-turn token: the turn ends where the rendering of the conversation up to it ends. */
function nextTurnStart(renders: ChatTurns, i: number, text: string): number {
  const upTo = renders.render(i + 1);
  return text.startsWith(upTo) ? upTo.trimEnd().length : text.length;
}

type Span = { start: number; end: number };

/** Where a trained span starts (`direction` -1: it widens leftwards) or ends (1), once placed on a token edge. */
interface Cut {
  at: number;
  direction: -1 | 1;
  char?: number;
  token?: number;
}

/**
 * `text` tokenized, with the tokens of the trained spans marked, and the spans widened to token edges by
 * the rule transformers applies to the spans a template's `{% generation %}` block marks
 * (`return_assistant_tokens_mask`, which TRL's `assistant_only_loss` trains on): every token that holds a
 * character of the span is trained. A token can straddle a turn's edge: an assistant text opening with
 * "\n\n" merges with the newline that ends Qwen3's `<|im_start|>assistant\n` into one "\n\n\n" token,
 * which is then trained.
 *
 * A chat template's tokenizer finds its added tokens (`<|im_start|>`, `<think>`, …) before the BPE runs,
 * so the ids are those of each run of text between added tokens, tokenized on its own, and the added
 * tokens': each run is tokenized once. An edge at an added token is a token edge; one inside an added
 * token widens to it; one inside a run widens to the nearest cut (going outward) where the run's text
 * before the cut tokenizes to the first ids of the whole run, so the prefix's own ids are the row's.
 */
function tokenizeSpans(text: string, spans: readonly Span[], tokenizer: Tokenizer): { ids: number[]; mask: boolean[]; aligned: Span[] } {
  const ids: number[] = [];
  const cuts: Cut[] = spans.flatMap((span) => [{ at: span.start, direction: -1 as const }, { at: span.end, direction: 1 as const }]);
  let next = 0;
  const placeAt = (char: number, token: number) => {
    while (next < cuts.length && cuts[next]!.at === char) Object.assign(cuts[next++]!, { char, token });
  };
  const run = (start: number, end: number) => {
    placeAt(start, ids.length);
    const part = text.slice(start, end);
    const whole = runIds(part, tokenizer);
    for (; next < cuts.length && cuts[next]!.at < end; next++) {
      const cut = cuts[next]!;
      const edge = runEdge(part, cut.at - start, cut.direction, whole, tokenizer);
      Object.assign(cut, { char: start + edge.char, token: ids.length + edge.token });
    }
    for (const id of whole) ids.push(id);
  };
  let at = 0;
  const added = addedTokens(tokenizer);
  for (const match of added === undefined ? [] : text.matchAll(added)) {
    if (match.index > at) run(at, match.index);
    placeAt(match.index, ids.length);
    const end = match.index + match[0].length;
    for (; next < cuts.length && cuts[next]!.at < end; next++) {
      const cut = cuts[next]!;
      Object.assign(cut, cut.direction < 0 ? { char: match.index, token: ids.length } : { char: end, token: ids.length + 1 });
    }
    ids.push(tokenizer.specialTokens.all.get(match[0])!);
    at = end;
  }
  if (at < text.length) run(at, text.length);
  placeAt(text.length, ids.length);

  // Packed (no holes): the masks derived from it are written as JSON, which is slower over an array with holes.
  const mask: boolean[] = [];
  for (let k = 0; k < ids.length; k++) mask.push(false);
  const aligned: Span[] = [];
  let trainedTo = 0;
  let charTo = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const [start, end] = [cuts[k]!, cuts[k + 1]!];
    const from = Math.max(start.token!, trainedTo);
    const to = Math.max(from, end.token!);
    mask.fill(true, from, to);
    const startChar = Math.max(start.char!, charTo);
    aligned.push({ start: startChar, end: Math.max(startChar, end.char!) });
    trainedTo = to;
    charTo = aligned.at(-1)!.end;
  }
  return { ids, mask, aligned };
}

/** In a run tokenized as `whole`, the token edge at `at` or the nearest one before it (-1) or after it (1): its character and token index. */
function runEdge(run: string, at: number, direction: -1 | 1, whole: readonly number[], tokenizer: Tokenizer): { char: number; token: number } {
  for (let cut = at; cut > 0 && cut < run.length; cut += direction) {
    const left = tokenizer.encode(run.slice(0, cut));
    if (left.length < whole.length && left.every((id, k) => id === whole[k])) return { char: cut, token: left.length };
  }
  return direction < 0 ? { char: 0, token: 0 } : { char: run.length, token: whole.length };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, k) => id === b[k]);
}

/**
 * The ids of runs met before, by their text: conversations of one export share their system prompt, tools
 * block and instructions (38% of the characters of the runs bench:export tokenizes repeat a run before
 * them), and looking a run up costs a hash of it where tokenizing it costs a BPE of every piece.
 */
const runMemory = new WeakMap<Tokenizer, TextMemory<readonly number[]>>();
/** Shorter runs are mostly one or two pieces, which the tokenizer's own piece memory holds. */
const MIN_REMEMBERED_RUN = 64;
const MAX_REMEMBERED_RUN_CHARS = 1 << 23;

function runIds(run: string, tokenizer: Tokenizer): readonly number[] {
  if (run.length < MIN_REMEMBERED_RUN || run.length > MAX_REMEMBERED_RUN_CHARS) return tokenizer.encode(run);
  let memory = runMemory.get(tokenizer);
  if (memory === undefined) runMemory.set(tokenizer, (memory = new TextMemory(MAX_REMEMBERED_RUN_CHARS)));
  let ids = memory.get(run);
  if (ids === undefined) {
    ids = tokenizer.encode(run);
    memory.set(run, ids);
  }
  return ids;
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
