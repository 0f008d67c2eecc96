import { Command } from "commander";
import { claimOutputDir } from "../../io/output-dir.js";
import { buildView } from "../../view/build.js";
import type { CliIo } from "../io.js";
import { type OverwriteQuietFlags, outOption, overwriteOption, quietOption } from "../options.js";
import { createProgress } from "../progress.js";
import { renderTable } from "../table.js";

export function viewCommand(io: CliIo): Command {
  return new Command("view")
    .description("Write a static HTML site (no server, nothing loaded from elsewhere) to look at what acc wrote: trajectories, samples, episodes, chains, stats")
    .argument("<inputs...>", "files (JSONL, gzip accepted) or folders acc wrote; folders are walked")
    .addOption(outOption("output folder: index.html and site/", { required: true }))
    .addOption(overwriteOption())
    .addOption(quietOption())
    .addHelpText(
      "after",
      `
Examples:
  acc view out/compile -o view/compile
  acc view trajectories.jsonl -o view/import
  acc view out/ -o view/all

Open view/index.html in a browser (file:// works). Related: acc import, acc compile, acc rollout, acc mine`,
    )
    .action(async (inputs: string[], flags: { out: string } & OverwriteQuietFlags) => {
      const outDir = flags.out;
      await claimOutputDir(outDir, { stage: "view" }, { overwrite: Boolean(flags.overwrite), inputs });
      const progress = createProgress(io.stderr, "view", { quiet: Boolean(flags.quiet) });
      const stats = await buildView({
        inputs,
        outDir,
        onProgress: (p) => progress.update(p.bytes, `${p.files} files, ${p.records} records`, p.totalBytes),
      });
      progress.stop();
      io.stderr.write(
        `${renderTable(
          ["file", "holds", "records", "unreadable lines"],
          stats.sections.map((s) => [s.file, s.holds, s.records, s.unreadable]),
        )}\nread ${stats.records + stats.unreadable} lines = ${stats.records} records shown + ${stats.unreadable} unreadable; ${stats.pages} files written${stats.stubs > 0 ? `, ${stats.stubs} pages for linked records not in the inputs` : ""}\nopen ${outDir}/index.html\n`,
      );
    });
}
