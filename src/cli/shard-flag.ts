import type { Command } from "commander";
import { parseShard, type Shard } from "../shard/partition.js";

/** `--shard i/N`, the same on every stage that can be split across an array job. */
export function shardFlag(command: Command): Command {
  return command.option("--shard <i/N>", "process only shard i of N (0-based; records split by a hash of their id), for array jobs; join the shard folders with acc merge");
}

export function shardOption(flags: Record<string, unknown>): { shard?: Shard } {
  return flags.shard === undefined ? {} : { shard: parseShard(String(flags.shard)) };
}
