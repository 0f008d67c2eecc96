import { Command } from "commander";
import { importers } from "../../formats/registry.js";
import type { CliIo } from "../io.js";
import { renderTable } from "../table.js";

export function formatsCommand(io: CliIo): Command {
  return new Command("formats")
    .description("List the log formats acc can import")
    .addHelpText("after", "\nExamples:\n  acc formats\n\nRelated: acc import, acc inspect")
    .action(() => {
      io.stdout.write(`${renderTable(["format", "description"], importers.map((i) => [i.format, i.description]))}\n`);
    });
}
