import type { PageKind } from "./store.js";

/** What a record's renderer may ask of the site being built. */
export interface RenderContext {
  /** Relative path from the page being rendered to the page of another record (a stub page if it is absent). */
  recordHref(kind: PageKind, id: string): string;
  /** Records kept for inline display (see ViewStore.keep), by kind and key. */
  kept<T>(kind: string, key: string): T[];
  /** Tokens of `text` by the tokenizer a sample names; `exact` false when it cannot be loaded (then ~4 characters a token). */
  countTokens(tokenizer: string, text: string): { count: number; exact: boolean };
}

/** One row of a section's list and search index. */
export interface Entry {
  /** Path of the record's page from the site root, or its anchor on another record's page. */
  path: string;
  title: string;
  domain: string;
  /** The length the section filters on (tokens, characters, steps, stages …), null when it has none. */
  length: number | null;
  outcome: string;
  /** More searchable text (ids, the answer …), kept short. */
  text: string;
}
