import { readdir, stat } from "node:fs/promises";
import { statInput } from "../io/stdin.js";
import { type JsonLine, readJsonLines, toJsonLine } from "../io/json-lines.js";
import { DocumentError, type FileStart, readDocument, readHead, readLines, readStart } from "../io/lines.js";
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

/**
 * How much of a file detection reads with one call (all of a file this size or smaller); the import reads
 * on from there. At least HEAD_BYTES: the head usually fits.
 */
const START_BYTES = HEAD_BYTES;

/** True when the file has content and it does not start like JSON: what a directory walk passes over. */
function isNonJsonText(head: Buffer): boolean {
  const text = head.subarray(0, 4096).toString("utf8").replace(/^\uFEFF/, "").trimStart();
  return text !== "" && !text.startsWith("{") && !text.startsWith("[");
}

export async function openDirectory(path: string): Promise<Opened> {
  const entries = (await readdir(path)).sort();
  return { ok: true, probe: { container: "directory", path, entries }, input: { container: "directory", path } };
}

/**
 * Reads a file for detection and import (once: see FileStart): `skip` when `skipNonJson` is set and the file
 * does not start like JSON (a directory walk passes over such files); `bytes`: its size.
 */
export async function openFile(file: string, limits: ReadLimits, skipNonJson: boolean): Promise<(Opened & { bytes: number }) | { skip: true }> {
  let start: FileStart | undefined;
  try {
    start = await readStart(file, START_BYTES);
  } catch (error) {
    return { ok: false, bytes: (await statInput(file).catch(() => undefined))?.size ?? 0, reject: unreadable(error) };
  }
  if (skipNonJson && isNonJsonText(start?.bytes ?? (await readHead(file, 4096).catch(() => Buffer.alloc(0))))) return { skip: true };
  const bytes = start?.size ?? (await statInput(file)).size;
  return { ...(await openStart(file, limits, start)), bytes };
}

const unreadable = (error: unknown) => ({ locator: {}, code: "unreadable" as const, reason: `cannot read: ${(error as Error).message}` });

/** The probe and input of a file, from its start (undefined: a gzip or special file, streamed). */
async function openStart(file: string, limits: ReadLimits, start: FileStart | undefined): Promise<Opened> {
  let head: JsonLine[];
  let blank: boolean;
  try {
    // a first line that is not an object is most likely the start of one JSON document: no more lines are read yet
    ({ head, blank } = await readHeadLines(file, limits.maxLineBytes, true, start));
  } catch (error) {
    return { ok: false, reject: unreadable(error) };
  }
  if (blank) return { ok: false, reject: { locator: {}, code: "empty-file", reason: "the file is empty" } };

  const firstLineIsObject = head[0] !== undefined && "value" in head[0] && isRecord(head[0].value);
  if (firstLineIsObject) return jsonl(file, head, limits, start);

  try {
    const document = JSON.parse(await readDocument(file, limits.maxDocumentBytes, start)) as unknown;
    return { ok: true, probe: { container: "json", file, document }, input: { container: "json", file, document } };
  } catch (error) {
    // Not one document but lines that parse on their own (a damaged first line, or rows that are arrays): JSONL.
    try {
      ({ head } = await readHeadLines(file, limits.maxLineBytes, false, start));
    } catch (readError) {
      return { ok: false, reject: unreadable(readError) };
    }
    const firstParsed = head.find((entry) => "value" in entry);
    if (firstParsed !== undefined && typeof (firstParsed as { value: unknown }).value === "object") {
      return jsonl(file, head, limits, start);
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
async function readHeadLines(file: string, maxLineBytes: number, onlyAfterAnObject: boolean, start: FileStart | undefined): Promise<{ head: JsonLine[]; blank: boolean }> {
  const head: JsonLine[] = [];
  let bytes = 0;
  for await (const raw of readLines(file, maxLineBytes, start)) {
    head.push(toJsonLine(raw));
    if (onlyAfterAnObject && head.length === 1 && !("value" in head[0]! && isRecord(head[0].value))) break;
    bytes += "text" in raw ? raw.text.length : 0;
    if (head.length >= HEAD_LINES || (head.length > 1 && bytes >= HEAD_BYTES)) break;
  }
  // The reader skips blank lines, so no line at all means nothing but whitespace.
  return { head, blank: head.length === 0 };
}

function jsonl(file: string, head: JsonLine[], limits: ReadLimits, start: FileStart | undefined): Opened {
  return {
    ok: true,
    probe: { container: "jsonl", file, head },
    input: { container: "jsonl", file, lines: readJsonLines(file, limits.maxLineBytes, start), ...(start ? { start } : {}) },
  };
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}
