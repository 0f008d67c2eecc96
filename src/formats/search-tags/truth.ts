import { expect, kindOf } from "../common/rows.js";
import { isRecord } from "../common/text.js";

/** Where search datasets keep the gold answer: Tongyi `answer`, Search-R1 `golden_answers`, verl `reward_model`. */
const KEYS = ["answer", "golden_answers", "ground_truth", "gts", "reward_model"] as const;

/**
 * The row's gold answer. A list of accepted answers gives its first; the list itself stays under `extra`
 * (only a field taken whole is marked used).
 */
export function rowGroundTruth(row: Record<string, unknown>, used: string[]): string | undefined {
  const key = KEYS.find((k) => row[k] !== undefined && row[k] !== null);
  if (key === undefined) return undefined;
  const value = key === "reward_model" && isRecord(row[key]) ? row[key].ground_truth : row[key];
  const path = key === "reward_model" ? "reward_model.ground_truth" : key;
  const truth = firstAnswer(value, path);
  if (typeof row[key] === "string" || typeof row[key] === "number") used.push(key);
  return truth;
}

function firstAnswer(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? undefined : firstAnswer(value[0], `${path}[0]`);
  if (isRecord(value) && value.target !== undefined) return firstAnswer(value.target, `${path}.target`);
  expect(value === undefined || value === null, `${path}: expected a string or a list of strings, got ${kindOf(value)}`);
  return undefined;
}
