// Headless Chromium for the viewer's tests: Debian's /usr/bin/chromium (scripts/setup-system.sh installs
// it) driven by playwright-core, which never downloads a browser. Tests skip with BROWSER_MISSING where
// it is absent.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = process.env.ACC_CHROMIUM ?? "/usr/bin/chromium";

export const BROWSER_MISSING = existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM} (install Debian's chromium: scripts/setup-system.sh, or set ACC_CHROMIUM); browser tests skipped`;

/**
 * Flags for a machine without network: no background requests (they would be refused, many at a time),
 * no sandbox (tests run as root), no GPU. Playwright gives every launch a fresh, empty profile folder.
 */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
}

/** The axe-core engine's source, injected through the DevTools protocol (the pages' policy refuses inline scripts). */
export const AXE_SOURCE = resolve(join(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"));

/** Where tests put screenshots: test-output/<name>/ (not committed). */
export function testOutput(name: string): string {
  const dir = resolve(join(import.meta.dirname, "../../test-output", name));
  mkdirSync(dir, { recursive: true });
  return dir;
}
