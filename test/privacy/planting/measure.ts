// Recall measured on real logs: secrets are planted into copies of the shared trajectory samples (every
// format, every kind of text a record holds, tool arguments inside their JSON strings included), the
// copies are imported with redaction on and off, and each planted secret is looked up where it landed.
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { join, relative } from "node:path";
import { importTrajectories } from "../../../src/import/run.js";
import type { Trajectory } from "../../../src/records/trajectory.js";
import { KINDS, type Plant, SecretMaker } from "./secrets.js";

/** Where in a record a planted secret ended up after import. */
export type Place = "user" | "tool output" | "tool arguments" | "reasoning" | "assistant" | "system" | "other";
export const PLACES: readonly Place[] = ["user", "tool output", "tool arguments", "reasoning", "assistant", "system", "other"];

/** `clean`: replaced exactly (`before<SECRET:type>after`); `gone`: not found, but the context changed too; `leaked`: found. */
export type Outcome = "clean" | "gone" | "leaked";

export interface PlantResult {
  id: number;
  plant: Plant;
  file: string;
  place: Place;
  outcome: Outcome;
  /** The placeholder type that replaced it, when clean. */
  typedAs?: string;
}

export interface RecallReport {
  results: PlantResult[];
  /** Planted but not in any imported trajectory (the importer keeps one of several copies of that text). */
  notImported: number;
  /** Tool calls whose raw arguments are JSON; of those, how many no longer parse to their arguments after redaction. */
  jsonCalls: number;
  brokenCalls: { file: string; trajectory: string; call: string }[];
  /** Sample files that stopped importing whole once planted (should be none). */
  lostFiles: string[];
}

/** Keys whose strings are ids, names, hashes or timestamps rather than text: not planted into. */
const NOT_TEXT = /^(?:id|.*_id|.*Id|uuid|.*Uuid|role|type|kind|name|model|timestamp|created|signature|encrypted_content|hash|sha|version|cwd|gitBranch|status|source|path|file)$/;

/** Texts of a JSON value a plant can go into (strings with a space or line break, 20+ characters), each with a setter. */
function textLeaves(value: unknown, key: string | undefined, set: (v: unknown) => void, out: { get: () => string; set: (v: string) => void }[]): void {
  if (typeof value === "string") {
    if (/^\s*[[{]/.test(value)) {
      // JSON inside a string (tool arguments, a tool's JSON output): plant into its strings, write it back.
      try {
        const inner: unknown = JSON.parse(value);
        if (inner !== null && typeof inner === "object") {
          const box = { value: inner };
          const before = out.length;
          textLeaves(inner, undefined, (v) => (box.value = v as object), out);
          for (let i = before; i < out.length; i++) {
            const leaf = out[i]!;
            out[i] = { get: leaf.get, set: (v) => (leaf.set(v), set(JSON.stringify(box.value))) };
          }
          return;
        }
      } catch {
        // not JSON: plain text
      }
    }
    if (value.length >= 20 && /\s/.test(value) && !(key !== undefined && NOT_TEXT.test(key))) {
      let current = value;
      out.push({ get: () => current, set: (v) => ((current = v), set(v)) });
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => textLeaves(item, key, (v) => (value[i] = v), out));
  } else if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    for (const k of Object.keys(object)) textLeaves(object[k], k, (v) => (object[k] = v), out);
  }
}

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

const tag = (id: number) => `[p${id}]`;
const TAG = /\[p(\d+)\]/g;

/**
 * Copies `samplesDir` to `outDir`, planting `perFile` secrets (kinds in turn) into every JSON or JSONL
 * sample file; returns the plants by id.
 */
export function plantSamples(samplesDir: string, outDir: string, seed: number, perFile: number): Map<number, { plant: Plant; file: string }> {
  const maker = new SecretMaker(seed);
  const kinds = Object.values(KINDS);
  const plants = new Map<number, { plant: Plant; file: string }>();
  mkdirSync(outDir, { recursive: true });
  cpSync(samplesDir, outDir, { recursive: true });
  for (const path of files(samplesDir)) {
    if (!/\.(?:jsonl?|traj)$/.test(path)) continue;
    const text = readFileSync(path, "utf8");
    const jsonl = path.endsWith(".jsonl");
    const docs: unknown[] = jsonl ? text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown) : [JSON.parse(text) as unknown];
    const leaves: { get: () => string; set: (v: string) => void }[] = [];
    docs.forEach((doc, i) => textLeaves(doc, undefined, (v) => (docs[i] = v), leaves));
    if (leaves.length === 0) continue;
    // Each plant goes at a line start of the original text (so line-oriented contexts stay line-oriented, and no plant lands inside another).
    const inserts = new Map<number, { at: number; text: string }[]>();
    for (let n = 0; n < perFile; n++) {
      const id = plants.size;
      const plant = kinds[id % kinds.length]!(maker);
      plants.set(id, { plant, file: relative(samplesDir, path) });
      const leaf = maker.random.int(0, leaves.length - 1);
      const current = leaves[leaf]!.get();
      const breaks = [...current.matchAll(/\n/g)].map((m) => m.index + 1);
      const at = breaks.length > 0 && maker.random.next() < 0.8 ? maker.pick(breaks) : current.length;
      (inserts.get(leaf) ?? inserts.set(leaf, []).get(leaf)!).push({ at, text: `${at === current.length ? "\n" : ""}${tag(id)} ${plant.text}\n` });
    }
    for (const [leaf, list] of inserts) {
      const current = leaves[leaf]!.get();
      let next = "";
      let copied = 0;
      for (const { at, text } of list.sort((a, b) => a.at - b.at)) {
        next += current.slice(copied, at) + text;
        copied = at;
      }
      leaves[leaf]!.set(next + current.slice(copied));
    }
    const out = join(outDir, relative(samplesDir, path));
    writeFileSync(out, jsonl ? `${docs.map((d) => JSON.stringify(d)).join("\n")}\n` : JSON.stringify(docs[0]));
  }
  return plants;
}

/** Every text of a trajectory with its place; a tool call's raw arguments read as their decoded strings when they are JSON. */
function placedTexts(t: Trajectory): { place: Place; text: string }[] {
  const out: { place: Place; text: string }[] = [];
  const strings = (value: unknown, place: Place) => {
    if (typeof value === "string") out.push({ place, text: value });
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        strings(k, place);
        strings(v, place);
      }
    }
  };
  for (const m of t.messages) {
    if (m.role === "assistant") {
      strings(m.content, "assistant");
      strings(m.reasoning, "reasoning");
      for (const call of m.tool_calls) {
        strings(call.arguments, "tool arguments");
        if (call.raw_arguments !== null) {
          let decoded: unknown = call.raw_arguments;
          try {
            decoded = JSON.parse(call.raw_arguments);
          } catch {
            // plain text
          }
          strings(decoded, "tool arguments");
          strings(call.raw_arguments, "tool arguments");
        }
      }
      strings(m.extra, "other");
    } else {
      strings(m.content, m.role === "tool" ? "tool output" : m.role === "user" ? "user" : "system");
      strings(m.extra, "other");
    }
  }
  strings({ task: t.task, tools: t.tools, final: t.final, outcome: t.outcome, events: t.events, warnings: t.warnings, extra: t.extra }, "other");
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function importDir(dir: string, redact: "on" | "off"): Promise<{ trajectories: Trajectory[]; files: Set<string> }> {
  const trajectories: Trajectory[] = [];
  const imported = new Set<string>();
  for await (const event of importTrajectories([dir], { redact })) {
    if (event.type === "trajectory") {
      trajectories.push(event.trajectory);
      imported.add(relative(dir, event.trajectory.source.file));
    }
  }
  return { trajectories, files: imported };
}

/** Plants, imports with redaction off (to see where each plant landed) and on (to see what is left), and judges every plant. */
export async function measureRecall(samplesDir: string, workDir: string, seed: number, perFile: number): Promise<RecallReport> {
  const plants = plantSamples(samplesDir, workDir, seed, perFile);
  const off = await importDir(workDir, "off");
  const original = await importDir(samplesDir, "off");
  const lostFiles = [...original.files].filter((f) => !off.files.has(f));

  const places = new Map<number, Place>();
  for (const t of off.trajectories) {
    for (const { place, text } of placedTexts(t)) {
      for (const match of text.matchAll(TAG)) {
        const id = Number(match[1]);
        const earlier = places.get(id);
        if (earlier === undefined || (earlier === "other" && place !== "other")) places.set(id, place);
      }
    }
  }

  const on = await importDir(workDir, "on");
  const seen = new Map<number, string[]>();
  const brokenCalls: RecallReport["brokenCalls"] = [];
  let jsonCalls = 0;
  for (const t of on.trajectories) {
    for (const { text } of placedTexts(t)) {
      for (const match of text.matchAll(TAG)) (seen.get(Number(match[1])) ?? seen.set(Number(match[1]), []).get(Number(match[1]))!).push(text);
    }
    for (const m of t.messages) {
      if (m.role !== "assistant") continue;
      for (const call of m.tool_calls) {
        // Raw arguments that are JSON (not a patch or a command given as text).
        if (call.raw_arguments === null || call.arguments_error !== undefined || !/^\s*[[{"]/.test(call.raw_arguments)) continue;
        jsonCalls++;
        let parsed: unknown;
        try {
          parsed = JSON.parse(call.raw_arguments);
        } catch {
          parsed = Symbol("unparseable");
        }
        if (!isDeepStrictEqual(parsed, call.arguments)) brokenCalls.push({ file: t.source.file, trajectory: t.id, call: call.id });
      }
    }
  }

  const results: PlantResult[] = [];
  let notImported = 0;
  for (const [id, { plant, file }] of plants) {
    const place = places.get(id);
    if (place === undefined) {
      notImported++;
      continue;
    }
    // The planted text: from its tag to the next tag (or four times its length, escapes included).
    const texts = (seen.get(id) ?? []).flatMap((text) => [...text.matchAll(new RegExp(escape(tag(id)), "g"))].map((m) => {
      const from = m.index + tag(id).length;
      const next = text.slice(from).search(/\[p\d+\]/);
      return text.slice(from, Math.min(next === -1 ? text.length : from + next, from + 4 * plant.text.length + 64));
    }));
    // A short value (a user name, a letters-only password) only counts where it stands as a word of its own.
    const found = (text: string, value: string) => (value.length >= 8 ? text.includes(value) : new RegExp(`(?<![A-Za-z0-9])${escape(value)}(?![A-Za-z0-9])`).test(text));
    const leaked = texts.some((text) => plant.values.some((value) => found(text, value)));
    // The plant as written, or JSON-escaped once or twice (it went into a text that is itself JSON).
    const escaped = (s: string, times: number): string => (times === 0 ? s : escaped(JSON.stringify(s).slice(1, -1), times - 1));
    // (The importer may trim the spacing at either end of a text.)
    const clean = new RegExp([0, 1, 2].map((n) => `${escape(escaped(plant.before.trimStart(), n))}<SECRET:([a-z0-9-]+)>${escape(escaped(plant.after.trimEnd(), n))}`).join("|"));
    const typed = texts.map((text) => clean.exec(text)).find((m) => m !== null);
    // Between its context, placeholders and nothing else: a piece of the value left beside one (`<SECRET:password>&3`) is a leak.
    const partial = !typed && texts.some((text) => [0, 1, 2].some((n) => {
      const from = text.indexOf(escaped(plant.before.trimStart(), n));
      const after = escaped(plant.after.trimEnd(), n);
      const start = from + escaped(plant.before.trimStart(), n).length;
      const to = from === -1 ? -1 : after === "" ? text.slice(start).search(/\n|\\n|$/) + start : text.indexOf(after, start);
      if (to === -1) return false;
      const rest = text.slice(from + escaped(plant.before.trimStart(), n).length, to).replace(/<SECRET:[a-z0-9-]+>/g, "\u0000");
      return rest.split("\u0000").some((piece) => piece.length > 0 && plant.values.some((v) => escaped(v, n).includes(piece)));
    }));
    const outcome: Outcome = leaked || partial ? "leaked" : typed ? "clean" : "gone";
    results.push({ id, plant, file, place, outcome, ...(typed ? { typedAs: typed.slice(1).find((t) => t !== undefined)! } : {}) });
  }
  return { results, notImported, jsonCalls, brokenCalls, lostFiles };
}

export interface KindRow {
  kind: string;
  planted: number;
  clean: number;
  gone: number;
  leaked: number;
  /** (clean + gone) / planted. */
  recall: number;
  typedRight: number;
}

/** Results per kind (recall = the share not found after redaction). */
export function byKind(results: readonly PlantResult[]): KindRow[] {
  const rows = new Map<string, KindRow>();
  for (const r of results) {
    const row = rows.get(r.plant.kind) ?? { kind: r.plant.kind, planted: 0, clean: 0, gone: 0, leaked: 0, recall: 0, typedRight: 0 };
    row.planted++;
    row[r.outcome]++;
    if (r.typedAs === r.plant.kind) row.typedRight++;
    rows.set(r.plant.kind, row);
  }
  return [...rows.values()].map((row) => ({ ...row, recall: (row.clean + row.gone) / row.planted }));
}

/** Plants per place and how many of them are gone. */
export function byPlace(results: readonly PlantResult[]): { place: Place; planted: number; recall: number }[] {
  return PLACES.map((place) => {
    const here = results.filter((r) => r.place === place);
    return { place, planted: here.length, recall: here.length === 0 ? 1 : here.filter((r) => r.outcome !== "leaked").length / here.length };
  }).filter((row) => row.planted > 0);
}
