/**
 * Context-length bins of the MRCR card, by o200k_base tokens of prompt + answer: [4096, 8192], then
 * (8192, 16384], … (524288, 1048576], each named by its upper edge. Lengths outside them go to "<4k"
 * and ">1M" so that every item lands somewhere.
 */
export const CONTEXT_BINS = ["<4k", "8k", "16k", "32k", "64k", "128k", "256k", "512k", "1M", ">1M"] as const;
export type ContextBin = (typeof CONTEXT_BINS)[number];

/** Upper edges of the bins in CONTEXT_BINS order (the last is unbounded). */
export const BIN_UPPER_EDGES: readonly number[] = [4095, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, Number.POSITIVE_INFINITY];

export function contextBin(tokens: number): ContextBin {
  const index = BIN_UPPER_EDGES.findIndex((edge) => tokens <= edge);
  return CONTEXT_BINS[index] as ContextBin;
}
