/**
 * The reference tokenizers' regexes read `\p{…}` with Unicode 16.0 tables (tiktoken's Rust regex-syntax;
 * Hugging Face tokenizers' Oniguruma, 0.23), V8's with its ICU's (`process.versions.unicode`, 17.0 on
 * Node 20.20). Here: every code point whose general category differs, by its category in the reference
 * (`Cn`: unassigned there), as hexadecimal ranges. Derived by test/tokenize/reference-unicode.test.ts,
 * which compares each category's members in V8 and in tiktoken's regex over all code points and prints
 * this constant anew when it is stale (a newer Node or tiktoken).
 */
export const REFERENCE_CATEGORIES: Readonly<Record<string, string>> = {
  Cn: "88F C5C CDC 1ACF-1ADD 1AE0-1AEB 20C1 2B96 A7CE-A7CF A7D2 A7D4 A7F1 FBC3-FBD2 FD90-FD91 FDC8-FDCE 10940-10959 10EC5-10EC7 10ED0-10ED8 10EFA-10EFB 11B60-11B67 11DB0-11DDB 11DE0-11DE9 16EA0-16EB8 16EBB-16ED3 16FF2-16FF6 187F8-187FF 18D09-18D1E 18D80-18DF2 1CCFA-1CCFC 1CEBA-1CED0 1CEE0-1CEF0 1E6C0-1E6DE 1E6E0-1E6F5 1E6FE-1E6FF 1F6D8 1F777-1F77A 1F8D0-1F8D8 1FA54-1FA57 1FA8A 1FA8E 1FAC8 1FACD 1FAEA 1FAEF 1FBFA 2B73A-2B73F 2CEA2-2CEAD 323B0-33479",
  Ll: "295",
};

/** The general categories (short names, as the tokenizers' patterns write them) but `C`, `Cn` and `Cs`: REFERENCE_CATEGORIES lists differences in assigned code points only. */
const GENERAL_CATEGORY = /^(?:L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfo])$/;

const differing = Object.entries(REFERENCE_CATEGORIES).flatMap(([category, ranges]) =>
  ranges.split(" ").map((range) => {
    const [first, last = first] = range.split("-").map((hex) => Number.parseInt(hex, 16)) as [number, number?];
    return { first, last: last!, category };
  }),
).sort((a, b) => a.first - b.first);
const differingChars = differing.map(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => String.fromCodePoint(first + i)).join("")).join("");

/**
 * `\p{category}` as the reference reads it, for a regex with the `v` flag: V8's class less the code points
 * the reference puts elsewhere, plus those it puts there; undefined for a property other than a general
 * category (its members are not listed here).
 */
export function referenceProperty(category: string): string | undefined {
  if (!GENERAL_CATEGORY.test(category)) return undefined;
  let translated = translations.get(category);
  if (translated === undefined) translations.set(category, (translated = translation(category)));
  return translated;
}

const translations = new Map<string, string>();

function translation(category: string): string {
  // one match over all the differing characters: a test per character costs tens of milliseconds a tokenizer
  const inV8 = new Set(Array.from(differingChars.match(new RegExp(`\\p{${category}}`, "gu")) ?? [], (char) => char.codePointAt(0)!));
  const removed: number[] = [];
  const added: number[] = [];
  for (const range of differing) {
    const inReference = range.category.startsWith(category);
    for (let code = range.first; code <= range.last; code++) if (inV8.has(code) !== inReference) (inReference ? added : removed).push(code);
  }
  let set = `\\p{${category}}`;
  if (removed.length > 0) set = `[${set}--[${classRanges(removed)}]]`;
  return added.length > 0 ? `[${set}${classRanges(added)}]` : set;
}

/** Ascending code points as the ranges of a class, `\u{…}-\u{…}`. */
function classRanges(codes: readonly number[]): string {
  let ranges = "";
  for (let i = 0; i < codes.length; ) {
    let j = i;
    while (j + 1 < codes.length && codes[j + 1] === codes[j]! + 1) j++;
    ranges += j > i ? `\\u{${codes[i]!.toString(16)}}-\\u{${codes[j]!.toString(16)}}` : `\\u{${codes[i]!.toString(16)}}`;
    i = j + 1;
  }
  return ranges;
}
