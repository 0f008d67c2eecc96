import type { EvidencePiece, PieceRole } from "../records/sample.js";
import type { Random } from "../random.js";
import { type LengthDistribution, drawLength, maxOf } from "./lengths.js";
import { blockBody, blockHeader, promptPrefix, promptSuffix, type QuestionPosition } from "./render.js";

/** What packing needs of a tokenizer: exact counts and the chat template around one user turn. */
export interface PromptTokenizer {
  readonly name: string;
  count(text: string): number;
  /** The rendered chat template of one user message (generation prompt included), split at the content. */
  readonly userTurnFrame: readonly [before: string, after: string];
  /** True when the prompt's count is the sum of its parts' counts (byte-level BPE); else it is re-counted whole. */
  readonly countsAddUp: boolean;
}

export interface PackOptions {
  question: string;
  position: QuestionPosition;
  distribution: LengthDistribution;
  /** Fill with distractors (the paper's ablation turns them off). */
  distractors: boolean;
  /** Cut an evidence piece that can never fit at line boundaries instead of dropping the sample. */
  splitOversize: boolean;
  /** Seeded streams for this sample: target length, which distractors, and the order of pieces. */
  random: { length: Random; choice: Random; order: Random };
  /** Pieces not to place (cut because they give the answer away). */
  exclude?: ReadonlySet<string>;
  /** Pool pieces not to place: from the same task as this sample (another run of it, or a near-duplicate). */
  sameTask?: (piece: EvidencePiece) => boolean;
}

/**
 * Why filling stopped: the target was reached; distractors are off; every candidate was placed or
 * tried; or MAX_MISSES candidates in a row did not fit the room left.
 */
export type FillStop = "target" | "distractors-off" | "out-of-candidates" | "nothing-fits";

/** Token counts that stay valid across samples of one compiler. */
export interface CountCache {
  poolBodies: Map<string, number>;
  /** Header counts by index width and source: an index of the same digit count counts alike as an upper bound. */
  headers: Map<string, number>;
}

export interface PlacedPiece {
  piece: EvidencePiece;
  pool: boolean;
  token_start: number;
  token_end: number;
}

export type PackResult =
  | {
      ok: true;
      userContent: string;
      promptTokens: number;
      targetTokens: number;
      placed: PlacedPiece[];
      split: { id: string; dropped_lines: number }[];
      fillStop: FillStop;
      /** Pool pieces withheld because they come from the same task. */
      sameTaskWithheld: number;
    }
  | { ok: false; reason: "no-evidence" | "evidence-over-budget" };

/** Gives up filling after this many distractors in a row did not fit. */
const MAX_MISSES = 64;

/**
 * Packs a trajectory's pieces into one prompt of at most the drawn target length: all evidence (or
 * the sample is dropped), then debugging context, then distractors (the trajectory's own, then the
 * pool's) while they fit; then a seeded permutation. The count is exact: the prompt is laid out from
 * parts that tokenize independently (see render.ts), each counted once with the real tokenizer.
 */
export function packSample(
  pieces: EvidencePiece[],
  pool: readonly EvidencePiece[],
  tokenizer: PromptTokenizer,
  options: PackOptions,
  /** Counts kept across samples: pool pieces' bodies and block headers are each tokenized once per compiler. */
  cache: CountCache = { poolBodies: new Map(), headers: new Map() },
): PackResult {
  const poolCounts = cache.poolBodies;
  const counts = new Map<string, number>();
  const poolIds = new Set(pool.map((p) => p.id));
  const bodyTokens = (piece: EvidencePiece) => {
    let n = counts.get(piece.id) ?? poolCounts.get(piece.id);
    if (n === undefined) {
      n = tokenizer.count(blockBody(piece.text));
      (poolIds.has(piece.id) ? poolCounts : counts).set(piece.id, n);
    }
    return n;
  };
  const [before, after] = tokenizer.userTurnFrame;
  const fixed =
    tokenizer.count(before + promptPrefix(options.question, options.position)) +
    tokenizer.count(promptSuffix(options.question, options.position) + after);
  const exclude = options.exclude;
  const byRole = (role: PieceRole) => pieces.filter((p) => p.role === role && !exclude?.has(p.id));
  let evidence = byRole("evidence");
  if (evidence.length === 0) return { ok: false, reason: "no-evidence" };

  // Headers are counted with the widest index the prompt could need, an upper bound; exact at layout.
  const maxPieces = pieces.length + pool.length;
  const widest = String(maxPieces).length;
  const headerTokens = (piece: EvidencePiece) => {
    const key = `${widest}\u0000${piece.source}`;
    let n = cache.headers.get(key);
    if (n === undefined) {
      // Always the widest index of that many digits, so the bound never depends on which sample came first.
      n = tokenizer.count(blockHeader(Number("9".repeat(widest)), piece.source));
      cache.headers.set(key, n);
    }
    return n;
  };
  const cost = (piece: EvidencePiece) => headerTokens(piece) + bodyTokens(piece);

  const ceiling = maxOf(options.distribution);
  const split: { id: string; dropped_lines: number }[] = [];
  let needed = fixed + evidence.reduce((sum, p) => sum + cost(p), 0);
  if (needed > ceiling && options.splitOversize) {
    const room = ceiling - (needed - Math.max(...evidence.map(cost)));
    const largest = evidence.reduce((a, b) => (cost(b) > cost(a) ? b : a));
    const cut = cutToFit(largest, room - headerTokens(largest), bodyTokens, tokenizer);
    if (cut !== undefined) {
      split.push({ id: largest.id, dropped_lines: cut.droppedLines });
      evidence = evidence.map((p) => (p === largest ? cut.piece : p));
      needed = fixed + evidence.reduce((sum, p) => sum + cost(p), 0);
    }
  }
  const target = drawLength(options.distribution, needed, options.random.length);
  if (target === undefined) return { ok: false, reason: "evidence-over-budget" };

  const chosen: { piece: EvidencePiece; pool: boolean }[] = evidence.map((piece) => ({ piece, pool: false }));
  let used = needed;
  const fill = (candidates: readonly EvidencePiece[], fromPool: boolean): FillStop => {
    let misses = 0;
    for (const piece of candidates) {
      if (used >= target) return "target";
      if (misses >= MAX_MISSES) return "nothing-fits";
      const c = cost(piece);
      if (used + c <= target) {
        chosen.push({ piece, pool: fromPool });
        used += c;
        misses = 0;
      } else misses++;
    }
    return used >= target ? "target" : "out-of-candidates";
  };
  let fillStop: FillStop = fill(options.random.choice.shuffle(byRole("context")), false);
  let sameTaskWithheld = 0;
  if (!options.distractors) fillStop = fillStop === "target" ? fillStop : "distractors-off";
  else {
    fill(options.random.choice.shuffle(byRole("distractor")), false);
    const own = new Set(pieces.map((p) => p.id));
    const candidates = pool.filter((p) => {
      if (own.has(p.id) || exclude?.has(p.id)) return false;
      if (options.sameTask?.(p)) {
        sameTaskWithheld++;
        return false;
      }
      return true;
    });
    fillStop = fill(options.random.choice.shuffle(candidates), true);
  }

  const ordered = options.random.order.shuffle(chosen);
  // The header bound makes this exact on the first pass; the loop only guards exotic tokenizers.
  for (;;) {
    const laid = layout(ordered, options, tokenizer, bodyTokens);
    if (laid.promptTokens <= target) return { ok: true, ...laid, targetTokens: target, split, fillStop, sameTaskWithheld };
    const drop = ordered.findLastIndex((entry) => entry.piece.role !== "evidence");
    if (drop === -1) return { ok: false, reason: "evidence-over-budget" };
    ordered.splice(drop, 1);
  }
}

function layout(
  ordered: { piece: EvidencePiece; pool: boolean }[],
  options: PackOptions,
  tokenizer: PromptTokenizer,
  bodyTokens: (piece: EvidencePiece) => number,
): { userContent: string; promptTokens: number; placed: PlacedPiece[] } {
  const [before, after] = tokenizer.userTurnFrame;
  const prefixText = promptPrefix(options.question, options.position);
  let position = tokenizer.count(before + prefixText);
  const placed: PlacedPiece[] = [];
  const parts = [prefixText];
  ordered.forEach(({ piece, pool: fromPool }, i) => {
    const header = blockHeader(i + 1, piece.source);
    const start = position;
    position += tokenizer.count(header) + bodyTokens(piece);
    placed.push({ piece, pool: fromPool, token_start: start, token_end: position });
    parts.push(header, blockBody(piece.text));
  });
  const suffixText = promptSuffix(options.question, options.position);
  parts.push(suffixText);
  const userContent = parts.join("");
  const promptTokens = tokenizer.countsAddUp ? position + tokenizer.count(suffixText + after) : tokenizer.count(before + userContent + after);
  return { userContent, promptTokens, placed };
}

/** The piece's leading lines that fit in `room` body tokens, or undefined when not even one line fits. */
function cutToFit(
  piece: EvidencePiece,
  room: number,
  bodyTokens: (piece: EvidencePiece) => number,
  tokenizer: PromptTokenizer,
): { piece: EvidencePiece; droppedLines: number } | undefined {
  const lines = piece.text.split("\n");
  let keep = Math.min(lines.length - 1, Math.floor((lines.length * room) / Math.max(1, bodyTokens(piece))));
  while (keep > 0) {
    const text = lines.slice(0, keep).join("\n");
    if (tokenizer.count(blockBody(text)) <= room && text.trim() !== "") {
      return { piece: { ...piece, id: `${piece.id}#lines1-${keep}`, text }, droppedLines: lines.length - keep };
    }
    keep = Math.floor(keep * 0.95);
  }
  return undefined;
}
