import { GRAPHWALKS_PROBLEMS, type GraphwalksProblem } from "./generate-graphwalks.js";
import type { EvalName } from "./types.js";
import { UsageError } from "../errors/acc-error.js";

/** Generated data described as `generated[:key=value,…]`, lists joined with "+": see docs/commands/eval.md. */
export interface GeneratedSpec {
  seed: string;
  /** MRCR: o200k_base tokens of prompt + answer; GraphWalks: prompt characters. */
  sizes: number[];
  perSize: number;
  needles: number[];
  problems: GraphwalksProblem[];
  /** MRCR: a text file whose paragraphs become the replies (default: the built-in source). */
  source?: string;
}

export class GeneratedSpecError extends UsageError {
  override name = "GeneratedSpecError";
}

const KEYS: Record<EvalName, readonly string[]> = {
  mrcr: ["seed", "sizes", "per-size", "needles", "source"],
  graphwalks: ["seed", "sizes", "per-size", "types"],
};
const DEFAULT_SIZES: Record<EvalName, number[]> = { mrcr: [8192], graphwalks: [16384] };

export function isGeneratedSource(data: string): boolean {
  return data === "generated" || data.startsWith("generated:");
}

export function parseGeneratedSpec(evalName: EvalName, data: string): GeneratedSpec {
  const spec: GeneratedSpec = { seed: "0", sizes: DEFAULT_SIZES[evalName], perSize: 10, needles: [2, 4, 8], problems: [...GRAPHWALKS_PROBLEMS] };
  const body = data.slice("generated".length + 1);
  for (const pair of body === "" ? [] : body.split(",")) {
    const equals = pair.indexOf("=");
    const key = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? "" : pair.slice(equals + 1);
    if (!KEYS[evalName].includes(key)) throw new GeneratedSpecError(`generated ${evalName} data takes ${KEYS[evalName].join(", ")}; got "${key}"`);
    if (value === "") throw new GeneratedSpecError(`generated: ${key} needs a value (${key}=…)`);
    if (key === "seed") spec.seed = value;
    else if (key === "sizes") spec.sizes = value.split("+").map((size) => parseSize(size));
    else if (key === "per-size") spec.perSize = parseSize(value, false);
    else if (key === "needles") spec.needles = value.split("+").map((n) => parseSize(n, false));
    else if (key === "source") spec.source = value;
    else spec.problems = value.split("+").map(parseProblem);
  }
  return spec;
}

/** "8k" = 8192, "1M" = 1048576, or a plain positive integer. */
function parseSize(text: string, suffixes = true): number {
  const match = (suffixes ? /^(\d+)([kKmM]?)$/ : /^(\d+)()$/).exec(text);
  const number = match ? Number(match[1]) * ({ "": 1, k: 1024, m: 1024 * 1024 }[match[2]!.toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(number) || number <= 0) throw new GeneratedSpecError(`generated: expected a positive integer${suffixes ? " (8k and 1M allowed)" : ""}, got "${text}"`);
  return number;
}

function parseProblem(text: string): GraphwalksProblem {
  if (!(GRAPHWALKS_PROBLEMS as readonly string[]).includes(text)) throw new GeneratedSpecError(`generated: types are ${GRAPHWALKS_PROBLEMS.join(", ")}; got "${text}"`);
  return text as GraphwalksProblem;
}
