import { Option } from "commander";
import { parseShard, type Shard } from "../shard/partition.js";

export interface ShardFlags {
  shard?: Shard;
}

/** `--shard i/N`, the same on every stage that can be split across an array job; `records` says how they are split. */
export function shardFlag(records: string): Option {
  return new Option("--shard <i/N>", `process only shard i of N (0-based; ${records}), for array jobs; join the shard folders with acc merge`).argParser(parseShard);
}

export function shardOption(flags: ShardFlags): { shard?: Shard } {
  return flags.shard === undefined ? {} : { shard: flags.shard };
}
