// The fixed vocabularies of the mine records, without zod: `acc mine` writes records from these and never
// parses one, so a mine does not pay for loading zod and building the schemas (records/mine.ts builds them
// from the same lists).

/** Version of the mine records (PR, Link, Chain, StageInstance); bump on any incompatible change. */
export const MINE_SCHEMA_VERSION = "1.1.0";

/** How a PR was recovered from history (see docs/commands/mine.md). */
export const RECOVERY_METHODS = ["merge", "squash", "rebase"] as const;

/** Link kinds, in the order links of one pair are written. */
export const LINK_KINDS = ["closes", "fixes", "same-issue", "revert", "follow-up", "reference", "blame", "module"] as const;

export const STAGE_LABELS = ["feature", "fix", "refactor", "revert", "test"] as const;
