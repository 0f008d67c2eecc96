import type { Link } from "../records/mine.js";

/** Links below this score do not join PRs into chains (they are still written as links). */
export const MIN_CHAIN_LINK_SCORE = 0.3;
export const MAX_CHAIN_LENGTH = 8;

/** PR numbers in merge order, and for each stage after the first the link that joins it to the previous one. */
export interface ChainPath {
  prs: number[];
  links: Link[];
}

/**
 * Chains of 2–8 PRs from the PR-to-PR links:
 * 1. every PR keeps its best incoming link (highest score; ties go to the most recently merged earlier PR,
 *    then to the link id) if it scores at least MIN_CHAIN_LINK_SCORE: a forest where each PR has one parent;
 * 2. each tree is cut into paths along its deepest branch (ties: the child merged first); a side branch
 *    becomes its own path that starts at the PR it branches from, so every chosen link is in exactly one
 *    chain and only a branching PR is shared, as the first stage of the side chain;
 * 3. paths longer than MAX_CHAIN_LENGTH are cut into windows that overlap by one PR.
 * Links point forward in merge order, so every chain is ordered by merge time.
 */
export function buildChainPaths(order: ReadonlyMap<number, number>, links: readonly Link[]): ChainPath[] {
  const parent = new Map<number, Link>();
  for (const link of links) {
    if (link.from.type !== "pr" || link.score < MIN_CHAIN_LINK_SCORE) continue;
    const current = parent.get(link.to.number);
    if (!current || better(link, current, order)) parent.set(link.to.number, link);
  }
  const children = new Map<number, number[]>();
  for (const [child, link] of parent) {
    const list = children.get(link.from.number);
    if (list) list.push(child);
    else children.set(link.from.number, [child]);
  }
  for (const list of children.values()) list.sort((a, b) => order.get(a)! - order.get(b)!);

  const byOrderDesc = [...order.keys()].sort((a, b) => order.get(b)! - order.get(a)!);
  const height = new Map<number, number>();
  for (const pr of byOrderDesc) height.set(pr, 1 + Math.max(0, ...(children.get(pr) ?? []).map((c) => height.get(c)!)));

  const paths: ChainPath[] = [];
  const pending: { start: number; attach?: number }[] = byOrderDesc
    .filter((pr) => !parent.has(pr) && children.has(pr))
    .reverse()
    .map((start) => ({ start }));
  while (pending.length > 0) {
    const { start, attach } = pending.shift()!;
    const prs = attach === undefined ? [start] : [attach, start];
    for (let node = start; children.has(node); ) {
      const kids = children.get(node)!;
      const heavy = kids.reduce((best, kid) => (height.get(kid)! > height.get(best)! ? kid : best));
      for (const kid of kids) if (kid !== heavy) pending.push({ start: kid, attach: node });
      prs.push(heavy);
      node = heavy;
    }
    for (let i = 0; i < prs.length - 1; i += MAX_CHAIN_LENGTH - 1) {
      const window = prs.slice(i, i + MAX_CHAIN_LENGTH);
      paths.push({ prs: window, links: window.slice(1).map((pr) => parent.get(pr)!) });
    }
  }
  return paths.sort((a, b) => order.get(a.prs[0]!)! - order.get(b.prs[0]!)! || order.get(a.prs.at(-1)!)! - order.get(b.prs.at(-1)!)!);
}

function better(candidate: Link, current: Link, order: ReadonlyMap<number, number>): boolean {
  if (candidate.score !== current.score) return candidate.score > current.score;
  const byOrder = order.get(candidate.from.number)! - order.get(current.from.number)!;
  if (byOrder !== 0) return byOrder > 0;
  return candidate.id < current.id;
}
