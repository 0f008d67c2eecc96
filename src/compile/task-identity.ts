import { createHash } from "node:crypto";
import type { Trajectory } from "../records/trajectory.js";

/**
 * What makes two trajectories the same task: the task id when the log has one (tau-bench runs each
 * task several times under one id), the normalised question, and a MinHash of the question's word
 * shingles for near-duplicates (the same issue or question reworded a little, or asked by another
 * simulated user).
 */
export interface TaskIdentity {
  /** `instance_id`, prefixed by the repository or database when known. */
  id?: string;
  /** sha256 of the normalised question (first 16 hex digits). */
  question?: string;
  /** MinHash signature of the question's 5-word shingles (SIGNATURE_SIZE values). */
  signature?: number[];
}

/** Near-duplicates: at least this estimated Jaccard similarity of question shingles. */
export const NEAR_DUPLICATE_SIMILARITY = 0.7;
const SHINGLE_WORDS = 5;
const SIGNATURE_SIZE = 64;
const BANDS = 16;
const ROWS = SIGNATURE_SIZE / BANDS;

export function taskIdentity(trajectory: Trajectory): TaskIdentity {
  const identity: TaskIdentity = {};
  const task = trajectory.task;
  if (task.instance_id !== undefined && task.instance_id !== "") {
    identity.id = [task.repo?.name ?? task.repo?.url ?? task.database?.db_id ?? "", task.instance_id].join("\u0000");
  }
  const words = normalisedWords(task.question ?? "");
  if (words.length > 0) {
    identity.question = createHash("sha256").update(words.join(" ")).digest("hex").slice(0, 16);
    identity.signature = minHash(shingles(words));
  }
  return identity;
}

/** Finds the trajectories of a set that are the same task as a given one. */
export class TaskIndex {
  private readonly byId = new Map<string, string[]>();
  private readonly byQuestion = new Map<string, string[]>();
  private readonly byBand = new Map<string, string[]>();
  private readonly signatures = new Map<string, number[]>();

  constructor(tasks: Readonly<Record<string, TaskIdentity>>) {
    for (const [trajectoryId, identity] of Object.entries(tasks)) {
      if (identity.id !== undefined) push(this.byId, identity.id, trajectoryId);
      if (identity.question !== undefined) push(this.byQuestion, identity.question, trajectoryId);
      if (identity.signature !== undefined) {
        this.signatures.set(trajectoryId, identity.signature);
        for (const band of bands(identity.signature)) push(this.byBand, band, trajectoryId);
      }
    }
  }

  /** Trajectories of the set that are the same task as `identity` (by id, question or near-duplicate question). */
  sameTask(identity: TaskIdentity): Set<string> {
    const found = new Set<string>();
    for (const id of identity.id !== undefined ? (this.byId.get(identity.id) ?? []) : []) found.add(id);
    for (const id of identity.question !== undefined ? (this.byQuestion.get(identity.question) ?? []) : []) found.add(id);
    if (identity.signature !== undefined) {
      for (const band of bands(identity.signature)) {
        for (const id of this.byBand.get(band) ?? []) {
          if (!found.has(id) && similarity(identity.signature, this.signatures.get(id)!) >= NEAR_DUPLICATE_SIMILARITY) found.add(id);
        }
      }
    }
    return found;
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function normalisedWords(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function shingles(words: readonly string[]): string[] {
  if (words.length <= SHINGLE_WORDS) return [words.join(" ")];
  return Array.from({ length: words.length - SHINGLE_WORDS + 1 }, (_, i) => words.slice(i, i + SHINGLE_WORDS).join(" "));
}

/** MinHash: for each of SIGNATURE_SIZE seeded hash functions, the least hash over the shingles. */
function minHash(items: readonly string[]): number[] {
  const signature = new Array<number>(SIGNATURE_SIZE).fill(0xffffffff);
  for (const item of items) {
    const digest = createHash("sha256").update(item).digest();
    const a = digest.readUInt32LE(0);
    const b = digest.readUInt32LE(4) | 1;
    for (let k = 0; k < SIGNATURE_SIZE; k++) {
      // h_k(x) = a + k·b (mod 2^32): double hashing, one digest per shingle.
      const h = (a + Math.imul(k, b)) >>> 0;
      if (h < signature[k]!) signature[k] = h;
    }
  }
  return signature;
}

function bands(signature: readonly number[]): string[] {
  return Array.from({ length: BANDS }, (_, band) => `${band}:${signature.slice(band * ROWS, (band + 1) * ROWS).join(",")}`);
}

/** Estimated Jaccard similarity: the share of equal MinHash values. */
function similarity(a: readonly number[], b: readonly number[]): number {
  let equal = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) equal++;
  return equal / a.length;
}
