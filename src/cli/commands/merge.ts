import { Command } from "commander";
import { mergeRun } from "../../merge/run.js";
import type { CliIo } from "../io.js";
import { outOption, overwriteOption } from "../options.js";

export function mergeCommand(io: CliIo): Command {
  return new Command("merge")
    .description("Join the output folders of every shard of one sharded run (--shard i/N) into the outputs the unsharded run writes, byte for byte")
    .argument("<shards...>", "the shard folders (each holds shard.json once its shard has finished), in any order")
    .addOption(outOption("output folder: the stage's outputs, in input order, and stats.json added up", { required: true }))
    .addOption(overwriteOption())
    .addHelpText(
      "after",
      `
Examples:
  acc compile examples/logs --shard 0/2 -o out/shards/compile-0 --repo examples/.build/repo --db examples/.build/bookshop.sqlite -q
  acc compile examples/logs --shard 1/2 -o out/shards/compile-1 --repo examples/.build/repo --db examples/.build/bookshop.sqlite -q
  acc merge out/shards/compile-0 out/shards/compile-1 -o out/merged

Related: acc compile, acc teach, acc rollout, acc eval, acc decontaminate, acc export (their --shard); docs/scale.md (Slurm arrays, Kubernetes Indexed Jobs)`,
    )
    .action(async (shards: string[], flags: { out: string; overwrite?: boolean }) => {
      const outDir = flags.out;
      const result = await mergeRun(shards, outDir, { overwrite: Boolean(flags.overwrite) });
      io.stderr.write(`merged ${result.shards} shards of acc ${result.stage}: ${result.files.map((name) => `${outDir}/${name}`).join(", ")}\n`);
    });
}
