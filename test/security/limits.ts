import { DEFAULT_SANDBOX_LIMITS, type SandboxSettings } from "../../src/run/sandbox/index.js";

const MIB = 1024 * 1024;

/**
 * Small limits for the attacker suite: each attack meets them quickly. The time limit leaves room for a
 * busy machine (the suite runs 4 episodes at once beside other tests): honest calls such as a submit of a
 * few MB must finish well within it.
 */
export const ATTACK_SANDBOX: SandboxSettings = {
  limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 10_000, diskBytes: 64 * MIB, files: 3_000, processes: 64, memoryBytes: 256 * MIB, outputBytes: 1 * MIB, outputChars: 2_000 },
  readOnly: [],
  unsafe: false,
};
