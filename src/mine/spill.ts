import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommitPatch } from "./patch-parser.js";

/** A record whose patch sections wait aside: in memory, or on disk as (offset, length) per section. */
export interface SpilledPatch {
  record: CommitPatch;
  sections: (Buffer | [number, number])[][];
}

/** Patch bytes kept in memory before the rest goes to disk. */
export const SPILL_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * Patch sections kept aside while the history is read: the first-parent pass puts the diffs that may become
 * stage patches here, and only the ones chains use are taken back. The first SPILL_MEMORY_BYTES stay in
 * memory; the rest go to a file in a private temporary folder, so memory does not grow with the history.
 * `close` removes the folder (also on failure).
 */
export class PatchSpill {
  private dir: string | undefined;
  private fd = -1;
  private size = 0;
  private inMemory = 0;

  constructor(private readonly memoryBytes = SPILL_MEMORY_BYTES) {}

  put(record: CommitPatch): SpilledPatch {
    const bytes = record.files.reduce((sum, file) => sum + file.sections.reduce((s, b) => s + b.length, 0), 0);
    let sections: SpilledPatch["sections"];
    if (this.inMemory + bytes <= this.memoryBytes) {
      this.inMemory += bytes;
      sections = record.files.map((file) => file.sections);
    } else {
      sections = record.files.map((file) => file.sections.map((section) => this.write(section)));
    }
    return { record: { ...record, files: record.files.map((file) => ({ ...file, hunks: [], sections: [] })) }, sections };
  }

  get(spilled: SpilledPatch): CommitPatch {
    return {
      ...spilled.record,
      files: spilled.record.files.map((file, i) => ({ ...file, sections: spilled.sections[i]!.map((section) => (Buffer.isBuffer(section) ? section : this.read(section))) })),
    };
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.fd = -1;
    this.dir = undefined;
  }

  private write(bytes: Buffer): [number, number] {
    if (this.fd === -1) {
      this.dir = mkdtempSync(join(tmpdir(), "acc-mine-"));
      this.fd = openSync(join(this.dir, "patches"), "w+");
    }
    const at = this.size;
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    this.size += bytes.length;
    return [at, bytes.length];
  }

  private read([at, length]: [number, number]): Buffer {
    const bytes = Buffer.alloc(length);
    for (let done = 0; done < length; ) {
      const read = readSync(this.fd, bytes, done, length - done, at + done);
      // invariant: acc wrote the spill file in this run and keeps it open
      if (read === 0) throw new Error(`patch spill file ended at ${at + done} of ${at + length}`);
      done += read;
    }
    return bytes;
  }
}
