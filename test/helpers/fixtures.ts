import { join } from "node:path";

/** A real log kept in test/fixtures/real (see its SOURCES.md). */
export function realFixture(name: string): string {
  return join(import.meta.dirname, "../fixtures/real", name);
}
