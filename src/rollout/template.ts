import type { ChatMessage } from "../llm/types.js";
import { ChatTemplateError } from "../tokenize/errors.js";
import type { ChatTemplateOptions, TemplateMessage, Tokenizer } from "../tokenize/types.js";
import { TokenizerError } from "../tokenize/errors.js";

/** One piece of a memoised template frame: literal text, or a field of the i-th added message. */
type Piece = string | { message: number; field: "content" | "name" | "tool_call_id" };

/** Entries kept in each memo; the same few shapes and starts repeat all through a run. */
const MEMO_ENTRIES = 256;

const DUMMY_CALL: ChatMessage = { role: "assistant", content: "A", tool_calls: [{ id: "call_0", type: "function", function: { name: "f", arguments: "{}" } }] };

const SENTINEL = /\u0000(\d+)([cnt])\u0000/g;
/** A content sentinel is padded so that a template that trims or rewrites content is caught, not trusted. */
const contentSentinel = (i: number) => ` \n\u0000${i}c\u0000\n `;
const paddedContent = /^ \n\u0000\d+c\u0000\n $/;

/**
 * The chat-template text of prompts, rendered once per shape instead of once per step: a whole prompt at
 * the start of a segment, and after that only the text the template appends for new messages (tool
 * results, a summary request), which is what a rollout step adds to its context.
 *
 * Appended text comes from a frame: the template rendered once for a small conversation of the same shape
 * with sentinels in the message fields, then the real fields put in place of the sentinels. A template that
 * does not copy a field verbatim (it trims or escapes it) is rendered in full for that shape instead.
 */
export class ChatTemplateText {
  private readonly frames = new Map<string, Piece[] | null>();
  private readonly starts = new Map<string, string>();
  private readonly heads = new Map<string, { text: string; ids: number[] } | null>();
  readonly generationPrompt: string;
  /** The text a template writes after the end-of-turn token of an assistant turn (Qwen3: "\n"). */
  readonly separator: string;
  readonly eos: { text: string; id: number };
  /**
   * Whether a conversation's history starts each assistant turn with the generation prompt, so that the
   * next prompt extends the previous prompt and its completion. Not so for Qwen3 with thinking off (the
   * prompt has an empty think block that history leaves out): every prompt is then rendered in full.
   */
  readonly appendOnly: boolean;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly options: Pick<ChatTemplateOptions, "tools" | "enableThinking">,
  ) {
    const eos = tokenizer.specialTokens.eos;
    if (!eos) throw new TokenizerError(`tokenizer ${tokenizer.name} has no end-of-sequence token: rollouts need one to end assistant turns`, { code: "tokenizer" });
    this.eos = eos;
    const user: ChatMessage[] = [{ role: "user", content: "U" }];
    const open = this.render(user, false);
    const withPrompt = this.render(user, true);
    if (!withPrompt.startsWith(open)) throw new TokenizerError(`the chat template of ${tokenizer.name} does not append its generation prompt after the conversation`, { code: "tokenizer" });
    this.generationPrompt = withPrompt.slice(open.length);
    const turn = this.render([...user, { role: "assistant", content: "A" }], false);
    const end = turn.lastIndexOf(eos.text);
    if (end === -1) throw new TokenizerError(`the chat template of ${tokenizer.name} does not end assistant turns with ${eos.text}`, { code: "tokenizer" });
    this.separator = turn.slice(end + eos.text.length);
    const history = this.render([...user, DUMMY_CALL, { role: "tool", content: "T", tool_call_id: "call_0" }], false);
    this.appendOnly = history.startsWith(withPrompt);
  }

  /** The whole prompt for `messages`, ending in the generation prompt (memoised: groups share their first prompt). */
  prompt(messages: readonly ChatMessage[]): string {
    const key = JSON.stringify(messages);
    let text = this.starts.get(key);
    if (text === undefined) {
      text = this.render(messages, true);
      remember(this.starts, key, text);
    }
    return text;
  }

  /**
   * The text and ids of a conversation's system message alone (no generation prompt), when the whole prompt
   * of `view` (a system message, then user or tool messages) is that text followed by what the template
   * appends for the rest (`appended`): then a segment's first prompt is the head's ids, remembered, and the
   * appended text's. Checked against a whole render of `view` the first time a system message is seen;
   * undefined when it does not hold.
   */
  head(view: readonly ChatMessage[]): { text: string; ids: readonly number[] } | undefined {
    const key = JSON.stringify(view[0]);
    let head = this.heads.get(key);
    if (head === undefined) {
      const text = this.render(view.slice(0, 1), false);
      let appended: string | undefined;
      try {
        appended = this.appended(view.slice(0, 1), view.slice(1));
      } catch {
        appended = undefined; // the template rewrites the system message when more follow
      }
      head = appended !== undefined && this.render(view, true) === text + appended ? { text, ids: this.tokenizer.encode(text) } : null;
      remember(this.heads, key, head);
    }
    return head ?? undefined;
  }

  /**
   * The text the template appends after `context` for the `added` messages, through the next generation
   * prompt. After an assistant turn it starts after the turn's end-of-turn token and `separator`.
   */
  appended(context: readonly ChatMessage[], added: readonly ChatMessage[]): string {
    const frame = added.some((m) => m.role === "assistant" || m.role === "system") ? null : this.frame(context, added);
    if (frame === null) return this.direct(context, added);
    let text = "";
    for (const piece of frame) {
      if (typeof piece === "string") text += piece;
      else text += String(added[piece.message]![piece.field] ?? "");
    }
    return text;
  }

  /**
   * The text of an assistant turn as the template writes it in a conversation's history, after what it
   * shares with the generation prompt and through the end-of-turn token: what a server that returns no
   * token ids most likely sampled.
   */
  assistantTurn(assistant: ChatMessage): string {
    const context: ChatMessage[] = [{ role: "user", content: "U" }];
    // a tool result after the turn makes it history (some templates write the last turn differently)
    const after: ChatMessage = { role: "tool", content: "", tool_call_id: assistant.tool_calls?.[0]?.id ?? "call_0" };
    let rendered: string;
    try {
      rendered = this.render([...context, assistant, after], false);
    } catch {
      rendered = this.render([...context, assistant], false);
    }
    const open = this.render(context, false);
    let turn = rendered.slice(open.length);
    let shared = 0;
    while (shared < turn.length && shared < this.generationPrompt.length && turn[shared] === this.generationPrompt[shared]) shared++;
    turn = turn.slice(shared);
    const end = turn.indexOf(this.eos.text);
    return end === -1 ? turn : turn.slice(0, end + this.eos.text.length);
  }

  /**
   * `added` rendered after `context`, through the generation prompt. After an assistant turn the text starts
   * after the turn's end-of-turn token and separator: a template may write its last turn differently from
   * the same turn in history, so the turn's end is found in the render that has the added messages.
   */
  private direct(context: readonly ChatMessage[], added: readonly ChatMessage[]): string {
    const full = this.render([...context, ...added], true);
    if (context.at(-1)?.role !== "assistant") {
      const base = this.render(context, false);
      if (!full.startsWith(base)) throw new ChatTemplateError("the chat template rewrites earlier messages when new ones are added");
      return full.slice(base.length);
    }
    const before = this.render(context.slice(0, -1), true);
    const end = full.indexOf(this.eos.text, before.length);
    const start = end + this.eos.text.length;
    if (!full.startsWith(before) || end === -1 || !full.startsWith(this.separator, start)) {
      throw new ChatTemplateError("the chat template rewrites earlier messages when new ones are added");
    }
    return full.slice(start + this.separator.length);
  }

  private frame(context: readonly ChatMessage[], added: readonly ChatMessage[]): Piece[] | null {
    const last = context.at(-1);
    const key = JSON.stringify([context[0]?.role === "system", last?.role, last?.tool_calls?.length ?? 0, added.map((m) => [m.role, m.name !== undefined, m.tool_call_id !== undefined])]);
    let frame = this.frames.get(key);
    if (frame === undefined) {
      frame = this.buildFrame(context, added);
      remember(this.frames, key, frame);
    }
    return frame;
  }

  private buildFrame(context: readonly ChatMessage[], added: readonly ChatMessage[]): Piece[] | null {
    const dummy: ChatMessage[] = context[0]?.role === "system" ? [{ role: "system", content: "S" }] : [];
    dummy.push({ role: "user", content: "U" });
    const last = context.at(-1);
    const calls = Math.max(1, last?.tool_calls?.length ?? 0);
    const assistant: ChatMessage = {
      role: "assistant",
      content: "A",
      tool_calls: Array.from({ length: calls }, (_, i) => ({ id: `call_${i}`, type: "function" as const, function: { name: "f", arguments: "{}" } })),
    };
    if (last?.role === "assistant") dummy.push(last.tool_calls?.length ? assistant : { role: "assistant", content: "A" });
    if (last?.role === "tool") dummy.push(assistant, { role: "tool", content: "T", tool_call_id: "call_0" });
    const marked = added.map((m, i) => {
      const copy: ChatMessage = { ...m, content: contentSentinel(i) };
      if (m.name !== undefined) copy.name = `\u0000${i}n\u0000`;
      if (m.tool_call_id !== undefined) copy.tool_call_id = `\u0000${i}t\u0000`;
      return copy;
    });
    let text: string;
    try {
      text = this.direct(dummy, marked);
    } catch {
      return null;
    }
    const pieces: Piece[] = [];
    let at = 0;
    for (const match of text.matchAll(SENTINEL)) {
      const field = match[2] === "c" ? "content" : match[2] === "n" ? "name" : "tool_call_id";
      let start = match.index;
      let end = start + match[0].length;
      if (field === "content") {
        start -= 2;
        end += 2;
        if (!paddedContent.test(text.slice(start, end))) return null;
      }
      pieces.push(text.slice(at, start), { message: Number(match[1]), field });
      at = end;
    }
    pieces.push(text.slice(at));
    return pieces.filter((p) => p !== "");
  }

  private render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    const options: ChatTemplateOptions = { addGenerationPrompt };
    if (this.options.tools) options.tools = this.options.tools;
    if (this.options.enableThinking !== undefined) options.enableThinking = this.options.enableThinking;
    return this.tokenizer.applyChatTemplate(messages as TemplateMessage[], options);
  }
}

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
}
