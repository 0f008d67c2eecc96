import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommitPatch } from "./patch-parser.js";

/** A record whose patch sections wait on disk: per file, (offset, length) of each section. */
export interface SpilledPatch {
  record: CommitPatch;
  sections: [number, number][][];
}

/**
 * Patch sections kept on disk while the history is read, so memory does not grow with the history: the
 * first-parent pass writes the diffs that may become stage patches here, and only the ones chains use are
 * read back. The file lives in a private temporary folder removed by `close` (also on failure).
 */
export class PatchSpill {
  private readonly dir = mkdtempSync(join(tmpdir(), "acc-mine-"));
  private readonly fd = openSync(join(this.dir, "patches"), "w+");
  private size = 0;

  put(record: CommitPatch): SpilledPatch {
    const all = record.files.flatMap((file) => file.sections);
    const bytes = all.length === 1 ? all[0]! : Buffer.concat(all);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
    let at = this.size;
    this.size += bytes.length;
    const sections = record.files.map((file) =>
      file.sections.map((section): [number, number] => {
        at += section.length;
        return [at - section.length, section.length];
      }),
    );
    return { record: { ...record, files: record.files.map((file) => ({ ...file, hunks: [], sections: [] })) }, sections };
  }

  get(spilled: SpilledPatch): CommitPatch {
    return {
      ...spilled.record,
      files: spilled.record.files.map((file, i) => ({
        ...file,
        sections: spilled.sections[i]!.map(([at, length]) => {
          const bytes = Buffer.alloc(length);
          for (let done = 0; done < length; ) {
            const read = readSync(this.fd, bytes, done, length - done, at + done);
            if (read === 0) throw new Error(`patch spill file ended at ${at + done} of ${at + length}`);
            done += read;
          }
          return bytes;
        }),
      })),
    };
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
