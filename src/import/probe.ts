import { readdir, stat } from "node:fs/promises";
import { type JsonLine, readJsonLines, toJsonLine } from "../io/json-lines.js";
import { DocumentError, readDocument, readHead, readLines } from "../io/lines.js";
import { isRecord } from "../json.js";
import type { ImportInput, Probe, Reject } from "../formats/types.js";

const HEAD_BYTES = 4 * 1024 * 1024;
const HEAD_LINES = 50;

export interface ReadLimits {
  maxLineBytes: number;
  maxDocumentBytes: number;
}

/** A probe for detection plus the input to hand the chosen importer, or why the file cannot be read at all. */
export type Opened =
  | { ok: true; probe: Probe; input: ImportInput }
  | { ok: false; reject: Omit<Reject, "file" | "scope"> };

/** True when the file has content and it does not start like JSON: what a directory walk passes over. */
export async function isNonJsonText(path: string): Promise<boolean> {
  const head = await readHead(path, 4096).catch(() => Buffer.alloc(0));
  const text = head.toString("utf8").replace(/^\uFEFF/, "").trimStart();
  return text !== "" && !text.startsWith("{") && !text.startsWith("[");
}

export async function openDirectory(path: string): Promise<Opened> {
  const entries = (await readdir(path)).sort();
  return { ok: true, probe: { container: "directory", path, entries }, input: { container: "directory", path } };
}

export async function openFile(file: string, limits: ReadLimits): Promise<Opened> {
  let head: JsonLine[];
  let blank: boolean;
  try {
    // a first line that is not an object is most likely the start of one JSON document: no more lines are read yet
    ({ head, blank } = await readHeadLines(file, limits.maxLineBytes, true));
  } catch (error) {
    return { ok: false, reject: { locator: {}, code: "unreadable", reason: `cannot read: ${(error as Error).message}` } };
  }
  if (blank) return { ok: false, reject: { locator: {}, code: "empty-file", reason: "the file is empty" } };

  const firstLineIsObject = head[0] !== undefined && "value" in head[0] && isRecord(head[0].value);
  if (firstLineIsObject) return jsonl(file, head, limits);

  try {
    const document = JSON.parse(await readDocument(file, limits.maxDocumentBytes)) as unknown;
    return { ok: true, probe: { container: "json", file, document }, input: { container: "json", file, document } };
  } catch (error) {
    // Not one document but lines that parse on their own (a damaged first line, or rows that are arrays): JSONL.
    try {
      ({ head } = await readHeadLines(file, limits.maxLineBytes, false));
    } catch (readError) {
      return { ok: false, reject: { locator: {}, code: "unreadable", reason: `cannot read: ${(readError as Error).message}` } };
    }
    const firstParsed = head.find((entry) => "value" in entry);
    if (firstParsed !== undefined && typeof (firstParsed as { value: unknown }).value === "object") {
      return jsonl(file, head, limits);
    }
    if (error instanceof DocumentError) return { ok: false, reject: { locator: {}, code: error.code, reason: error.message } };
    return { ok: false, reject: { locator: {}, code: "invalid-json", reason: `invalid JSON: ${(error as Error).message}` } };
  }
}

/**
 * The first lines of a file, parsed, for detection: the first line whole however long it is (up to the
 * line limit: real rows reach tens of MB), then more lines while they fit in HEAD_BYTES, up to HEAD_LINES
 * (`onlyAfterAnObject`: only when the first line is a JSON object). `blank`: the file holds nothing but whitespace.
 */
async function readHeadLines(file: string, maxLineBytes: number, onlyAfterAnObject: boolean): Promise<{ head: JsonLine[]; blank: boolean }> {
  const head: JsonLine[] = [];
  let bytes = 0;
  for await (const raw of readLines(file, maxLineBytes)) {
    head.push(toJsonLine(raw));
    if (onlyAfterAnObject && head.length === 1 && !("value" in head[0]! && isRecord(head[0].value))) break;
    bytes += "text" in raw ? raw.text.length : 0;
    if (head.length >= HEAD_LINES || (head.length > 1 && bytes >= HEAD_BYTES)) break;
  }
  // The reader skips blank lines, so no line at all means nothing but whitespace.
  return { head, blank: head.length === 0 };
}

function jsonl(file: string, head: JsonLine[], limits: ReadLimits): Opened {
  return {
    ok: true,
    probe: { container: "jsonl", file, head },
    input: { container: "jsonl", file, lines: readJsonLines(file, limits.maxLineBytes) },
  };
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}
