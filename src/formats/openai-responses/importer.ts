import type { Locator } from "../../records/trajectory.js";
import { expect, kindOf, readRows, rejectionOf } from "../common/rows.js";
import { isRecord, without } from "../common/text.js";
import { toolDefinitions } from "../openai-chat.js";
import { RESPONSES_ITEM_TYPES, ResponseItems } from "./items.js";
import type { ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";

/** Keys of a request/response row that the importer maps; everything else goes to `extra`. */
const REQUEST_KEYS = ["input", "instructions", "tools", "model"];
const RESPONSE_KEYS = ["output", "output_text", "model"];

/**
 * OpenAI Responses API items. A row (JSONL line, array element or lone document) is one of:
 * - `{input, output?, instructions?, tools?, model?, …}`: a request with its response's `output` beside it;
 * - `{request: {input, instructions?, tools?, model?}, response: {output, …}}`;
 * - `{items: [...]}`;
 * - a bare array of items (also a whole JSON document that is one array of items).
 */
export const openaiResponsesImporter: Importer = {
  format: "openai-responses",
  description: "OpenAI Responses items: {input, output} logs, {request, response}, {items} or bare item arrays",
  rowBased: true,
  detect(probe: Probe): number {
    if (probe.container === "directory") return 0;
    if (probe.container === "jsonl") {
      const first = probe.head.find((entry) => "value" in entry);
      return first && "value" in first ? detectRow(first.value) : 0;
    }
    const doc = probe.document;
    if (Array.isArray(doc) && isItemList(doc)) return detectItems(doc);
    return detectRow(Array.isArray(doc) ? doc[0] : doc);
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    // a whole document that is one list of items is one row, not a row per item
    if (input.container === "json" && Array.isArray(input.document) && isItemList(input.document)) yield convert(input.document, { json_pointer: "" });
    else yield* readRows(input, (row, locator) => [convert(row, locator)]);
  },
};

function convert(row: unknown, locator: Locator): ImportItem {
  try {
    return { kind: "trajectory", draft: convertRow(row, locator) };
  } catch (error) {
    return { kind: "reject", locator, scope: "record", ...rejectionOf(error, "openai-responses") };
  }
}

function convertRow(row: unknown, locator: Locator): TrajectoryDraft {
  const items = new ResponseItems();
  if (Array.isArray(row)) {
    items.addAll(row, "");
    return draftOf(items, locator, {});
  }
  expect(isRecord(row), `expected a JSON object or an array of items, got ${kindOf(row)}`);
  if (row.items !== undefined) {
    items.addAll(row.items, "items");
    return draftOf(items, locator, { extra: without(row, ["items"]) });
  }
  const nested = isRecord(row.request) || isRecord(row.response);
  const request = nested ? (isRecord(row.request) ? row.request : {}) : row;
  const response = nested ? (isRecord(row.response) ? row.response : {}) : row;
  const inputPath = nested ? "request.input" : "input";
  addInstructions(items, request.instructions, nested ? "request.instructions" : "instructions");
  if (typeof request.input === "string") items.add({ role: "user", content: request.input }, inputPath);
  else if (request.input !== undefined) items.addAll(request.input, inputPath);
  if (response.output !== undefined) items.addAll(response.output, nested ? "response.output" : "output");

  const model = typeof response.model === "string" ? response.model : typeof request.model === "string" ? request.model : undefined;
  const tools = toolDefinitions(request.tools);
  const extra = nested
    ? { ...without(row, ["request", "response"]), ...nonEmpty("request", without(request, REQUEST_KEYS)), ...nonEmpty("response", without(response, RESPONSE_KEYS)) }
    : without(row, [...REQUEST_KEYS, ...RESPONSE_KEYS]);
  return draftOf(items, locator, { extra, ...(tools ? { tools } : {}), ...(model !== undefined ? { model } : {}) });
}

function nonEmpty(key: string, value: Record<string, unknown>): Record<string, unknown> {
  return Object.keys(value).length > 0 ? { [key]: value } : {};
}

/** `instructions` is a string in requests and may be a list of input items in response objects. */
function addInstructions(items: ResponseItems, instructions: unknown, path: string): void {
  if (instructions === undefined || instructions === null) return;
  if (Array.isArray(instructions)) items.addAll(instructions, path);
  else {
    expect(typeof instructions === "string", `${path}: expected a string or an array of items, got ${kindOf(instructions)}`);
    items.add({ role: "system", content: instructions }, path);
  }
}

/** The draft of the items read; with message phases, only a `final_answer` message is the answer. */
function draftOf(items: ResponseItems, locator: Locator, rest: Pick<TrajectoryDraft, "extra" | "tools" | "model">): TrajectoryDraft {
  items.finish();
  const extra = { ...rest.extra, ...(items.unknownItems.length > 0 ? { unknown_items: items.unknownItems } : {}) };
  const answer = items.finalMessage;
  const final = answer
    ? { answer: answer.content, reasoning: answer.reasoning, kind: "message" as const }
    : { answer: null, reasoning: null, kind: "none" as const };
  return {
    locator,
    messages: items.messages,
    ...(items.events.length > 0 ? { events: items.events } : {}),
    ...(items.sawPhase ? { final } : {}),
    ...(items.warnings.length > 0 ? { warnings: items.warnings } : {}),
    ...rest,
    extra,
  };
}

function detectRow(row: unknown): number {
  if (Array.isArray(row)) return detectItems(row);
  if (!isRecord(row)) return 0;
  const request = isRecord(row.request) ? row.request : row;
  const response = isRecord(row.response) ? row.response : row;
  for (const list of [row.items, request.input, response.output]) {
    if (Array.isArray(list) && detectItems(list) > 0) return 0.8;
  }
  return 0;
}

/** A list is Responses items when one of its first items has a Responses-only type or content part. */
function detectItems(items: unknown[]): number {
  return items.slice(0, 50).some(isResponsesItem) ? 0.8 : 0;
}

/** A whole JSON array is one item list (not an array of rows) when its first element is an item. */
function isItemList(doc: unknown[]): boolean {
  const first = doc[0];
  return isRecord(first) && (typeof first.type === "string" || (typeof first.role === "string" && !("messages" in first)));
}

function isResponsesItem(item: unknown): boolean {
  if (!isRecord(item)) return false;
  if (typeof item.type === "string" && RESPONSES_ITEM_TYPES.has(item.type)) return true;
  const isMessage = item.type === "message" || (item.type === undefined && typeof item.role === "string");
  if (!isMessage) return false;
  if (item.type === "message" && typeof item.content === "string") return true;
  return Array.isArray(item.content) && item.content.some((p) => isRecord(p) && typeof p.type === "string" && /^(input|output)_/.test(p.type));
}
