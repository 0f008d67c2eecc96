import { Command } from "commander";
import { importToFiles } from "../../import/write.js";
import type { LineSink } from "../../io/atomic.js";
import type { CliIo } from "../io.js";
import { formatOption, maxLineBytesOption, quietOption } from "../options.js";
import { bytesReadFromNow, inputBytes, progressWithTotal } from "../progress.js";
import { importSummary, nothingImported } from "../summaries.js";

const discard: LineSink = { async write() {}, async commit() {}, async abort() {} };

export function inspectCommand(io: CliIo): Command {
  return new Command("inspect")
    .description("Detect the format of agent logs and print what they hold, without writing trajectories")
    .argument("<inputs...>", "files, directories or globs (gzip accepted); - reads stdin")
    .addOption(formatOption("skip detection and read every input as this format"))
    .option("--rejects <file>", "also list rejected records in this file")
    .addOption(maxLineBytesOption())
    .option("--json", "print the summary as JSON instead of a table")
    .addOption(quietOption())
    .addHelpText(
      "after",
      `
Examples:
  acc inspect ~/.codex/sessions
  acc inspect examples/logs --json

Related: acc import, acc formats`,
    )
    .action(async (inputs: string[], flags: { format?: string; rejects?: string; maxLineBytes: number; json?: boolean; quiet?: boolean }) => {
      const progress = await progressWithTotal(io.stderr, "inspect", Boolean(flags.quiet), () => inputBytes(inputs));
      const bytesRead = bytesReadFromNow();
      const rejectsPath = flags.rejects;
      const stats = await importToFiles(inputs, {
        output: discard,
        rejectsPath,
        onError: "skip",
        ...(flags.format ? { format: flags.format } : {}),
        maxLineBytes: flags.maxLineBytes,
        onProgress: (s) => progress.update(bytesRead(), `${s.files} files, ${s.read} records`),
      });
      progress.stop();
      if (flags.json) io.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
      else io.stdout.write(`${importSummary(stats, rejectsPath)}\n`);
      const failure = nothingImported(inputs, stats, rejectsPath);
      if (failure) throw failure;
    });
}
