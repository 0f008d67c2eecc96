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

/**
 * The runs of text a BPE codec encodes: with `split`, the text between added tokens (each added token
 * reported on its own), each run NFC-normalised on its own when `nfc` is set: normalising the whole text
 * could fuse a token's last character with a combining mark that follows (`<think>` + U+0338 → `<think≯`).
 */
export class TextRuns {
  private readonly splitter: AddedTokenSplitter | undefined;

  constructor(addedTokens: ReadonlyMap<string, number>, split: boolean, private readonly nfc: boolean) {
    this.splitter = split ? new AddedTokenSplitter(addedTokens) : undefined;
  }

  /** The ids of `text`: each run's by `encodeRun` (appended to `ids`), each added token's own. */
  encode(text: string, encodeRun: (run: string, ids: number[]) => void): number[] {
    const ids: number[] = [];
    this.forEach(
      text,
      (run) => encodeRun(run, ids),
      (id) => ids.push(id),
    );
    return ids;
  }

  /** The number of tokens of `text`: each run's by `countRun`, one per added token. */
  count(text: string, countRun: (run: string) => number): number {
    let total = 0;
    this.forEach(
      text,
      (run) => {
        total += countRun(run);
      },
      () => total++,
    );
    return total;
  }

  /** Calls `onRun` with each (normalised) run of text between added tokens, `onAdded` with each added token. */
  private forEach(text: string, onRun: (run: string) => void, onAdded: (id: number) => void): void {
    const run = (part: string) => onRun(this.nfc ? part.normalize("NFC") : part);
    if (this.splitter === undefined) run(text);
    else this.splitter.split(text, run, onAdded);
  }
}
