/**
 * Finds a tokenizer's added tokens (chat markers, `<think>`, …) in raw text, leftmost first and the
 * longest at a position, as Hugging Face tokenizers do before normalising the text between them.
 */
export class AddedTokenSplitter {
  private readonly pattern: RegExp | undefined;

  constructor(private readonly ids: ReadonlyMap<string, number>) {
    const contents = [...ids.keys()].filter((content) => content !== "").sort((a, b) => b.length - a.length);
    this.pattern = contents.length > 0 ? new RegExp(contents.map(escapeRegExp).join("|"), "gu") : undefined;
  }

  /** Calls `onText` for each run of text between added tokens and `onToken` for each added token, in order. */
  split(text: string, onText: (text: string) => void, onToken: (id: number) => void): void {
    if (this.pattern === undefined) {
      if (text !== "") onText(text);
      return;
    }
    let start = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (match.index > start) onText(text.slice(start, match.index));
      onToken(this.ids.get(match[0])!);
      start = match.index + match[0].length;
    }
    if (start < text.length) onText(start === 0 ? text : text.slice(start));
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
