import type { ChatMessage } from "../llm/types.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { ChatTemplateText } from "./template.js";

/** What a step left behind for predicting the next prompt of its segment. */
export interface SettledStep {
  /** The messages the step sent. */
  view: readonly ChatMessage[];
  /** Its prompt: the server's ids, or the prediction when the server returned none. */
  promptIds: readonly number[];
  completionIds: readonly number[];
  /** The message its reply became in the conversation. */
  assistant: ChatMessage;
}

/**
 * Predicts the exact token ids of the next prompt before it is sent. Within a segment the next prompt is
 * the previous prompt, its completion and what the template appends for the new messages (tool results, a
 * summary request), so only that appended text is tokenized. A segment's first prompt is the system
 * message's ids, remembered for the run (`ChatTemplateText.head`), and the task's. A whole prompt is
 * rendered only when the view changed in the middle (masked observations), or when the template does not
 * extend prompts (`ChatTemplateText.appendOnly`).
 */
export class PromptPredictor {
  private last: SettledStep | undefined;
  private readonly generationIds: number[];
  private readonly specialIds: Set<number>;
  private readonly specialTexts: string[];

  constructor(
    private readonly text: ChatTemplateText,
    private readonly tokenizer: Tokenizer,
  ) {
    this.generationIds = tokenizer.encode(text.generationPrompt);
    this.specialIds = new Set(tokenizer.specialTokens.all.values());
    this.specialTexts = [...tokenizer.specialTokens.all.keys()];
  }

  /** Ids of the prompt the server will build for `view` (with the generation prompt). */
  predict(view: readonly ChatMessage[]): number[] {
    const last = this.last;
    if (last && this.text.appendOnly && extendsView(view, last.view)) {
      const n = last.view.length;
      if (view[n] === last.assistant && view.length > n + 1) {
        const completionEnds = last.completionIds.at(-1) === this.text.eos.id;
        const appended = (completionEnds ? "" : this.text.eos.text) + this.text.separator + this.text.appended(view.slice(0, n + 1), view.slice(n + 1));
        if (this.joins(last.completionIds, appended)) return concat(last.promptIds, last.completionIds, this.tokenizer.encode(appended));
      } else if (view[n] !== last.assistant && view.length > n) {
        // the last reply was dropped (SUPO): continue from its prompt without the generation prompt
        const open = withoutSuffix(last.promptIds, this.generationIds);
        const appended = this.text.appended(last.view, view.slice(n));
        if (open && this.joins(open, appended)) return concat(open, [], this.tokenizer.encode(appended));
      }
    }
    if (!last && this.text.appendOnly && opensSegment(view)) {
      // a segment's first prompt: the system message's ids (the same all run long) and the task's
      const head = this.text.head(view);
      if (head) {
        const appended = this.text.appended(view.slice(0, 1), view.slice(1));
        if (this.joins(head.ids, appended)) return concat(head.ids, [], this.tokenizer.encode(appended));
      }
    }
    return this.tokenizer.encode(this.text.prompt(view));
  }

  /** Keeps a copy of the step's view: the episode goes on appending to its messages. */
  settle(step: SettledStep): void {
    this.last = { ...step, view: step.view.slice() };
  }

  /** A new segment: its first prompt is rendered whole. */
  reset(): void {
    this.last = undefined;
  }

  /** Ids of `text` placed after `ids` tokenize on their own only when a special token sits at the seam. */
  private joins(ids: readonly number[], text: string): boolean {
    return (ids.length > 0 && this.specialIds.has(ids.at(-1)!)) || this.specialTexts.some((special) => text.startsWith(special));
  }
}

/** A system message followed by user or tool messages only. */
function opensSegment(view: readonly ChatMessage[]): boolean {
  if (view.length < 2 || view[0]!.role !== "system") return false;
  for (let i = 1; i < view.length; i++) if (view[i]!.role !== "user" && view[i]!.role !== "tool") return false;
  return true;
}

function extendsView(view: readonly ChatMessage[], previous: readonly ChatMessage[]): boolean {
  if (view.length < previous.length) return false;
  for (let i = 0; i < previous.length; i++) if (view[i] !== previous[i]) return false;
  return true;
}

function withoutSuffix(ids: readonly number[], suffix: readonly number[]): readonly number[] | undefined {
  if (ids.length < suffix.length) return undefined;
  const start = ids.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (ids[start + i] !== suffix[i]) return undefined;
  return ids.slice(0, start);
}

function concat(a: readonly number[], b: readonly number[], c: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length + c.length);
  let k = 0;
  for (const id of a) out[k++] = id;
  for (const id of b) out[k++] = id;
  for (const id of c) out[k++] = id;
  return out;
}

/** Whether `ids` starts with `prefix` followed by `more`. */
export function startsWith(ids: readonly number[], prefix: readonly number[], more: readonly number[] = []): boolean {
  if (ids.length < prefix.length + more.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  for (let i = 0; i < more.length; i++) if (ids[prefix.length + i] !== more[i]) return false;
  return true;
}
