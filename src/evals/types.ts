import type { ChatMessage } from "../llm/types.js";
import type { ColumnSpec, DataRow } from "./rows.js";

export type EvalName = "mrcr" | "graphwalks";

/** What grading one response gives: the item's score in [0, 1] and the eval's own details. */
export interface Grade {
  score: number;
  detail: Record<string, unknown>;
}

/** Everything the loader, runner and report need to know about one eval. */
export interface EvalKind<Item extends { id: string }> {
  name: EvalName;
  /** The official columns (plus optional ones such as date_added). */
  columns: ColumnSpec;
  /** A loaded row as an item; throws EvalDataError naming the file and row when it is malformed. */
  fromRow(file: string, row: DataRow): Item;
  /** The item in the official columns (plus id), as a JSONL row. */
  toRow(item: Item): Record<string, unknown>;
  /** The chat messages sent to the model. */
  messages(item: Item): ChatMessage[];
  /** The reporting group: "2 needles", "bfs", … */
  group(item: Item): string;
  /** The texts whose o200k_base tokens make the item's context length (for bins). */
  contextTexts(item: Item): string[];
  grade(item: Item, response: string): Grade;
  /** The grading modes in force, recorded in the summary. */
  settings: Record<string, string>;
}
