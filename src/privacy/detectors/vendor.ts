// Keys and tokens that carry their issuer's prefix: found by the prefix, checked by a sticky regex.
import { isAlnum, isTokenChar, startsWord } from "../text.js";
import type { SecretType } from "../types.js";
import type { Detector } from "./detector.js";

/**
 * A secret with a fixed prefix: a sticky regex run where a keyword starts; the `secret` group, when
 * there is one, is what goes. `wordBefore`: the characters that may not stand right before it.
 */
function prefixed(
  type: SecretType,
  keywords: readonly string[],
  pattern: RegExp,
  options: { wordBefore?: (c: number) => boolean; accept?: (secret: string) => boolean } = {},
): Detector {
  const hasGroup = pattern.source.includes("(?<secret>");
  const sticky = new RegExp(pattern.source, `y${hasGroup ? "d" : ""}`);
  const wordBefore = options.wordBefore ?? isTokenChar;
  return {
    keywords,
    find(text, at, _keyword, out) {
      if (!startsWord(text, at, wordBefore)) return;
      sticky.lastIndex = at;
      const match = sticky.exec(text);
      if (match === null) return;
      const [start, end] = hasGroup ? match.indices!.groups!.secret! : [at, at + match[0].length];
      if (options.accept && !options.accept(text.slice(start, end))) return;
      out.push({ start, end, type });
    },
  };
}

const HEX_STARTS = ["0", "a", "b", "c", "d", "e", "f"];
const JWT_IO_EXAMPLE = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.";

export const VENDOR_DETECTORS: readonly Detector[] = [
  // AWS documents its examples as AKIA…EXAMPLE; they fill docs and tests and are no one's key.
  prefixed("aws-access-key", ["akia", "asia"], /(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/, { wordBefore: isAlnum, accept: (key) => !key.endsWith("EXAMPLE") }),
  prefixed("anthropic-key", ["sk-ant-"], /sk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/),
  prefixed("openai-key", ["sk-"], /sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})(?![A-Za-z0-9_-])/),
  prefixed("github-token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"], /(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/),
  prefixed("gitlab-token", ["glpat-", "gldt-", "glrt-", "glptt-"], /gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/),
  prefixed("huggingface-token", ["hf_"], /hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9_])/),
  prefixed("slack-token", ["xox"], /xox(?:[baprs]|e(?:\.xox[bp])?)-[A-Za-z0-9-]{10,}(?![A-Za-z0-9_-])/),
  prefixed("slack-webhook", ["hooks.slack.com/"], /hooks\.slack\.com\/(?<secret>(?:services|workflows|triggers)\/[A-Za-z0-9_/]{20,})/, { wordBefore: () => false }),
  prefixed("stripe-key", ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"], /(?:[rs]k_(?:live|test)_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9+/]{24,})(?![A-Za-z0-9_])/),
  prefixed("google-api-key", ["aiza"], /AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/),
  prefixed("npm-token", ["npm_"], /npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/),
  prefixed("pypi-token", ["pypi-"], /pypi-AgE[A-Za-z0-9_-]{50,}/),
  prefixed("twilio-key", HEX_STARTS.map((h) => `sk${h}`), /SK[0-9a-fA-F]{32}(?![A-Za-z0-9])/, { wordBefore: isAlnum }),
  prefixed("sendgrid-key", ["sg."], /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/),
  prefixed("azure-storage-key", ["accountkey=", "sharedaccesskey="], /(?:AccountKey|SharedAccessKey)=(?<secret>[A-Za-z0-9+/]{20,}={0,2})/, { wordBefore: isAlnum }),
  prefixed("azure-sas", ["sig="], /sig=(?<secret>[A-Za-z0-9%+/]{30,}(?:%3D|=)*)/, { wordBefore: (c) => c !== 63 && c !== 38 && c !== 59 }),
  // jwt.io's example token (John Doe) fills tutorials and test suites.
  prefixed("jwt", ["eyj"], /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/, { accept: (token) => !token.startsWith(JWT_IO_EXAMPLE) }),
];
