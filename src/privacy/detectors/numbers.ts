// Numbers that identify a person or an account: phone numbers, public IP addresses, payment cards
// (Luhn-checked) and IBANs (mod-97-checked). Each is found from its digits (the keyword `0000`, `0.0`,
// `+0…` with every digit written 0) and judged by its whole shape, so numbers in tables, dates,
// versions, hashes and ids stay.
import { isAlnum, isBlank, isDigit, isHex, isKeyChar, isLetter, isSpaceOrEnd, isTokenChar, isUpper, skipBackWhile, skipWhile } from "../text.js";
import type { Detector } from "./detector.js";

const HEX_DIGITS = ["0", "a", "b", "c", "d", "e", "f"];

// --- Payment cards -------------------------------------------------------------------------------

/** Luhn's check digit test. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer ranges (IIN) and lengths of the card networks a user expects: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro. */
function issuedCard(digits: string): boolean {
  const n = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  const three = Number(digits.slice(0, 3));
  // (Visa's old 13-digit numbers and 12–15-digit Maestro numbers are left: too many ids look like them.)
  if (digits[0] === "4") return n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (four === 6011 || two === 65 || (three >= 644 && three <= 649)) return n >= 16 && n <= 19;
  if (four >= 3528 && four <= 3589) return n >= 16 && n <= 19;
  if ((three >= 300 && three <= 305) || two === 36 || two === 38 || two === 39) return n >= 14 && n <= 19;
  if (two === 62) return n >= 16 && n <= 19;
  if (two === 50 || (two >= 56 && two <= 58) || two === 67) return n >= 16 && n <= 19;
  return false;
}

/** The networks' published test numbers: in every payment tutorial and test suite, no one's card. */
const TEST_CARDS = new Set([
  "4242424242424242", "4111111111111111", "4000056655665556", "4012888888881881", "5555555555554444", "5200828282828210",
  "5105105105105100", "2223003122003222", "378282246310005", "371449635398431", "378734493671000", "6011111111111117", "6011000990139424",
  "3056930009020004", "36227206271667", "3566002020360505", "6200000000000005", "4000000000000002", "4000000000009995", "4000000000000077",
  "3530111333300000", "30569309025904", "38520000023237", "6011000400000000", "5105105105105100", "4917610000000000", "4462030000000000",
]);

/** Groups a card is printed in: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4, or no separators. */
const CARD_GROUPS = new Set(["4,4,4,4", "4,4,4,4,3", "4,4,4,4,1", "4,4,4,4,2", "4,4,4,1", "4,6,5", "4,6,4", "4,4,4,3", "4,4,4,2", "4,4,4,4,4"]);

/** Characters that may not touch a number on its left: it would be part of a word, a version, an id or an amount. */
const NOT_BEFORE_NUMBER = (c: number) => isTokenChar(c) || c === 46 || c === 43 || c === 64 || c === 47 || c === 35 || c === 36 || c === 44;
const NOT_AFTER_NUMBER = (c: number) => isTokenChar(c) || c === 64;

const isCardSeparator = (c: number) => c === 32 || c === 45;

/**
 * A card number starting at `start`: digit groups separated by one space or dash each, all the same.
 * Its end and the lengths of its groups, or undefined when the separators differ or it runs past 23 characters.
 */
function cardRun(text: string, start: number): { end: number; groups: number[]; digits: string } | undefined {
  const groups: number[] = [];
  let separator = -1;
  let digits = "";
  let i = start;
  for (;;) {
    const from = i;
    while (isDigit(text.charCodeAt(i)) && i - start <= 23) i++;
    groups.push(i - from);
    digits += text.slice(from, i);
    const c = text.charCodeAt(i);
    if (!isCardSeparator(c) || !isDigit(text.charCodeAt(i + 1))) break;
    if (separator !== -1 && c !== separator) return undefined;
    separator = c;
    i++;
  }
  if (i - start > 23) return undefined;
  return { end: i, groups, digits };
}

/** Digits of the number at `start` (groups joined by one space or dash), counted up to 23 characters. */
function digitsAhead(text: string, start: number): number {
  let n = 0;
  for (let i = start; i - start <= 23; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) n++;
    else if (!isCardSeparator(c) || !isDigit(text.charCodeAt(i + 1))) break;
  }
  return n;
}

export const paymentCard: Detector = {
  // Four digits: the scan calls this once per run of digits, at its first four.
  keywords: ["0000"],
  find(text, at, _keyword, out) {
    // Once per number: at its first four digits.
    if (isDigit(text.charCodeAt(at - 1)) || (isCardSeparator(text.charCodeAt(at - 1)) && isDigit(text.charCodeAt(at - 2)))) return;
    if (at > 0 && NOT_BEFORE_NUMBER(text.charCodeAt(at - 1))) return;
    // Most numbers (years, times, line numbers, ids) are far shorter than a card: counted before anything is built.
    if (digitsAhead(text, at) < 14) return;
    const run = cardRun(text, at);
    if (run === undefined) return;
    const after = text.charCodeAt(run.end);
    if (NOT_AFTER_NUMBER(after) || (after === 46 && isDigit(text.charCodeAt(run.end + 1)))) return;
    const { digits, groups } = run;
    if (digits.length < 14 || digits.length > 19) return;
    if (groups.length > 1 && !CARD_GROUPS.has(groups.join(","))) return;
    // Seven zeros in a row or one digit repeated: a test number (`6011000000000004`), no one's card.
    if (!issuedCard(digits) || !luhn(digits) || TEST_CARDS.has(digits) || /0{7}|^(\d)\1+$/.test(digits.slice(1))) return;
    out.push({ start: at, end: run.end, type: "payment-card" });
  },
};

// --- IBAN ----------------------------------------------------------------------------------------

/** IBAN length per country (ISO 13616 registry). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27,
  DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22,
  MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** The example IBANs of the ISO 13616 registry and of every IBAN tutorial: in tests and docs, no one's account. */
const EXAMPLE_IBANS = new Set([
  "DE89370400440532013000", "GB29NWBK60161331926819", "GB82WEST12345698765432", "NL91ABNA0417164300", "FR1420041010050500013M02606",
  "BE68539007547034", "CH9300762011623852957", "ES9121000418450200051332", "IT60X0542811101000000123456", "AT611904300234573201",
  "PL61109010140000071219812874", "SE4550000000058398257466", "IE29AIBK93115212345678", "DK5000400440116243", "FI2112345600000785",
  "NO9386011117947", "PT50000201231234567890154", "LU280019400644750000", "CY17002001280000001200527600", "TR330006100519786457841326",
  "MT84MALT011000012345MTLCAST001S", "SA0380000000608010167519", "AE070331234567890123456", "BR1800360305000010009795493C1",
]);

/** ISO 7064 mod 97-10 over the rearranged IBAN (letters as 10–35). */
export function ibanChecksumOk(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    const value = c <= 57 ? c - 48 : c - 55;
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

const isIbanChar = (c: number) => isDigit(c) || (c >= 65 && c <= 90);

/** `DE89370400440532013000` or `DE89 3704 0044 0532 0130 00` (groups of four), found by its country code and check digits. */
export const iban: Detector = {
  keywords: Object.keys(IBAN_LENGTHS).map((country) => `${country.toLowerCase()}00`),
  find(text, at, _keyword, out) {
    if (!isUpper(text.charCodeAt(at)) || !isUpper(text.charCodeAt(at + 1)) || isAlnum(text.charCodeAt(at - 1))) return;
    const length = IBAN_LENGTHS[text.slice(at, at + 2)]!;
    let compact = "";
    let end = at;
    const grouped = text.charCodeAt(at + 4) === 32;
    while (end < text.length && compact.length < length) {
      const k = text.charCodeAt(end);
      if (isIbanChar(k)) compact += text[end];
      else if (!(grouped && k === 32 && compact.length % 4 === 0)) break;
      end++;
    }
    if (compact.length !== length || isAlnum(text.charCodeAt(end)) || !ibanChecksumOk(compact) || EXAMPLE_IBANS.has(compact)) return;
    // An account number of zeros (`TR610000100000000000000001`) is a test vector.
    if (/0{10}/.test(compact)) return;
    out.push({ start: at, end, type: "iban" });
  },
};

// --- Phone numbers -------------------------------------------------------------------------------

/** `+` country code and groups (E.164: 8–15 digits in all), separated by single spaces, dots or dashes, maybe a `(0)` or a bracketed area code. */
const INTERNATIONAL = /\+\d{1,3}(?:[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,5}\)?)(?:[ .-]?\d{1,5}){1,5}/y;
/** North American: `(415) 555-0132`, `415-555-0132`, `415.555.0132`, maybe `1-` first. */
const NANP = /(?:1[ .-])?(?:\([2-9]\d\d\) ?[2-9]\d\d[.-]\d{4}|[2-9]\d\d([.-])[2-9]\d\d\1\d{4})/y;
/** National with a trunk 0: `020 7946 0958`, `06 12 34 56 78`, `030/1234567`, `0412 345 678`, `03-1234-5678`. */
const NATIONAL = /0[1-9]\d{0,4}([ ./-])\d{2,8}(?:\1\d{2,8}){0,3}/y;

/** Whether the number [start, end) stands alone: no word, digit, version dot or amount sign touches it. */
function standsAlone(text: string, start: number, end: number): boolean {
  const before = start > 0 ? text.charCodeAt(start - 1) : 32;
  const after = end < text.length ? text.charCodeAt(end) : 32;
  if (isTokenChar(before) || before === 46 || before === 43 || before === 47 || before === 36 || before === 44) return false;
  // `+21225780:text` (a line number in grep output), a path, an address.
  if (isTokenChar(after) || after === 64 || after === 47 || (after === 58 && !isSpaceOrEnd(text.charCodeAt(end + 1)))) return false;
  // The number goes on (`… 0132 77`, `0132.5`) or comes after another (`08 07 06 05 04`, `0 0100 57808  100`): part of a table or series.
  let next = end;
  while (next < end + 3 && (text.charCodeAt(next) === 32 || text.charCodeAt(next) === 46 || text.charCodeAt(next) === 44 || text.charCodeAt(next) === 45)) next++;
  if (next > end && isDigit(text.charCodeAt(next))) return false;
  let previous = start;
  while (previous > start - 3 && text.charCodeAt(previous - 1) === 32) previous--;
  if (previous < start && isDigit(text.charCodeAt(previous - 1))) return false;
  return true;
}

/** Whether a phone number's shape is plausible where it starts: a `+`, `(` or digit after a non-digit. */
function phoneAt(text: string, start: number): number {
  for (const [pattern, min, max] of [[INTERNATIONAL, 8, 15], [NANP, 10, 11], [NATIONAL, 9, 12]] as const) {
    pattern.lastIndex = start;
    const match = pattern.exec(text);
    if (match === null) continue;
    const end = start + match[0].length;
    const digits = match[0].replace(/\D/g, "");
    if (digits.length < min || digits.length > max || !standsAlone(text, start, end) || fictional(match[0], digits)) continue;
    return end;
  }
  return -1;
}

/**
 * Numbers no one answers: North America's 555-0100–0199 (reserved for fiction), a subscriber number of one digit (`555-5555`),
 * a count (`+1234567890`), pairs all starting with 0 (`01 02 03 04 05`: a hex dump), ZIP+4 codes.
 */
function fictional(written: string, digits: string): boolean {
  if (/555[ .-]?01\d\d$/.test(written) || /^(\d)\1+$/.test(digits.slice(-7)) || /0123456|1234567|2345678|3456789|9876543|8765432|7654321/.test(digits)) return true;
  // A US ZIP+4 code (`02110-1301`), not a number with a trunk 0.
  if (/^0\d{4}-\d{4}$/.test(written)) return true;
  const pairs = written.split(" ");
  // (Not an international number: `+44 20 0650 0999` has groups that start with 0.)
  return !written.startsWith("+") && pairs.length >= 4 && pairs.slice(1).filter((p) => p.startsWith("0")).length >= pairs.length - 2;
}

/** Where a number that holds `at` may start: its `+`, its `(`, or the first digit of its first group. */
function numberStarts(text: string, at: number): number[] {
  const starts: number[] = [];
  let i = at;
  for (let groups = 0; groups < 7 && i > 0; groups++) {
    i = skipBackWhile(text, i, isDigit);
    const c = text.charCodeAt(i - 1);
    if (c === 40 || c === 43) i--; // ( +
    starts.push(i);
    const sep = text.charCodeAt(i - 1);
    if (!(sep === 32 || sep === 45 || sep === 46 || sep === 47 || sep === 41) || !(isDigit(text.charCodeAt(i - 2)) || text.charCodeAt(i - 2) === 41 || text.charCodeAt(i - 2) === 40)) break;
    i -= 1;
    if (text.charCodeAt(i - 1) === 41) i--;
  }
  return starts.reverse();
}

export const phoneNumber: Detector = {
  // A `+` or `(` before digits, or the end of a group and the start of the next (`020 7946`, `555-0132`, `030/1234567`).
  keywords: ["+00", "+0 ", "+0-", "+0(", "+0.", "(00", "0 00", "0-000", "0.000", "0/000"],
  find(text, at, _keyword, out) {
    const sign = text.charCodeAt(at) === 43 || text.charCodeAt(at) === 40;
    const from = sign ? at + 1 : skipBackWhile(text, at, isDigit, 8);
    for (const start of numberStarts(text, from)) {
      const end = phoneAt(text, start);
      if (end !== -1) {
        out.push({ start, end, type: "phone-number" });
        return;
      }
    }
  },
};

const PHONE_VALUE = /\+?\d[\d .()-]{5,20}\d/y;

/** `phone: 4155550132`, `"mobile": "+14155550132"`, `tel:+1-415-555-0132`: any 7–15 digits after a key naming a phone. */
export const phoneField: Detector = {
  keywords: ["phone", "mobile", "whatsapp", "msisdn", ...["cell", "tel", "fax", "sms"].flatMap((k) => [`${k}"`, `${k}'`, `${k}:`, `${k}=`, `${k}_`])],
  find(text, at, keyword, out) {
    const word = keyword.replace(/[^a-z]+$/, "");
    const keyEnd = skipWhile(text, at + word.length, isKeyChar, 65);
    let i = keyEnd;
    if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) i++;
    i = skipWhile(text, i, isBlank, 8);
    if (text.charCodeAt(i) !== 58 && text.charCodeAt(i) !== 61) return;
    // The key's last word is the keyword, maybe followed by "number" / "no" (`phone`, `mobilePhone`, `phone_number`, `TelNo`; not `hotel`).
    if (!/^(?:[_-]?(?:number|num|no|nr))?$/i.test(text.slice(at + word.length, keyEnd))) return;
    if (isLetter(text.charCodeAt(at - 1)) && !isUpper(text.charCodeAt(at))) return;
    i = skipWhile(text, i + 1, isBlank);
    if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) i++;
    PHONE_VALUE.lastIndex = i;
    const match = PHONE_VALUE.exec(text);
    if (match === null) return;
    const digits = match[0].replace(/\D/g, "");
    const end = i + match[0].length;
    if (digits.length < 7 || digits.length > 15 || isTokenChar(text.charCodeAt(end)) || fictional(match[0], digits)) return;
    out.push({ start: i, end, type: "phone-number" });
  },
};

// --- IP addresses --------------------------------------------------------------------------------

/**
 * Addresses that identify no one: unspecified, loopback, private (RFC 1918), carrier-grade NAT,
 * link-local, documentation (TEST-NET-1/2/3), benchmarking, multicast, reserved and broadcast, and
 * the well-known public resolvers.
 */
function keptIpv4(a: number, b: number, c: number, d: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true;
  if (a === 100 && b >= 64 && b <= 127) return true;
  if (a === 169 && b === 254) return true;
  if (a === 172 && b >= 16 && b <= 31) return true;
  if (a === 192 && (b === 168 || (b === 0 && (c === 0 || c === 2)))) return true;
  if (a === 198 && (b === 18 || b === 19 || (b === 51 && c === 100))) return true;
  if (a === 203 && b === 0 && c === 113) return true;
  // A network (`.0`) or broadcast (`.255`) address of a /24, one number four times: not a host.
  if (d === 0 || d === 255 || (a === b && b === c && c === d)) return true;
  return PUBLIC_RESOLVERS.has(`${a}.${b}.${c}.${d}`) || EXAMPLE_IPV4.has(`${a}.${b}.${c}.${d}`);
}
const PUBLIC_RESOLVERS = new Set(["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220", "4.2.2.2", "4.2.2.1"]);

/** The four octets of a dotted IPv4 address at `start` (0–255, no leading zeros) and where it ends, or undefined. */
function ipv4At(text: string, start: number): { octets: number[]; end: number } | undefined {
  const octets: number[] = [];
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
    const from = i;
    let value = 0;
    while (i - from < 3 && isDigit(text.charCodeAt(i))) value = value * 10 + text.charCodeAt(i++) - 48;
    if (i === from || value > 255 || (i - from > 1 && text.charCodeAt(from) === 48)) return undefined;
    octets.push(value);
  }
  return isDigit(text.charCodeAt(i)) ? undefined : { octets, end: i };
}
/** What before a dotted number makes it a version or an OID: `v1.2.3.4`, `version 1.2.3.4`, `==1.2.3.4`, `< "2.8.0.0"`, `pkg@1.2.3.4`, `Chrome/1.2.3.4`, `OID 1.3.101.110`. */
const VERSION_BEFORE = /(?:\b(?:v|ver|version|release|build|rev|revision|oid|section|sec|step|chapter|clause)\.?\s*[:=]?\s*|§\s*|[=<>~^@/]=?\s*)["']?$/i;
/** Addresses of the examples in docs: example.com's, and ones made of one number or a count (`4.4.4.4`, `1.2.3.4`). */
const EXAMPLE_IPV4 = new Set(["93.184.216.34", "93.184.215.14", "1.2.3.4", "4.3.2.1", "123.123.123.123", "12.34.56.78"]);

export const ipv4: Detector = {
  keywords: ["0.0"],
  find(text, at, _keyword, out) {
    // Once per address: at its first dot.
    if (isDigit(text.charCodeAt(at - 1)) || text.charCodeAt(at - 1) === 46) {
      const digits = skipBackWhile(text, at, isDigit);
      if (text.charCodeAt(digits - 1) === 46 || digits < at - 3) return;
    }
    const start = skipBackWhile(text, at, isDigit, 4);
    const before = start > 0 ? text.charCodeAt(start - 1) : 32;
    if (isTokenChar(before) || before === 46) return;
    const address = ipv4At(text, start);
    if (address === undefined) return;
    const { end } = address;
    const after = text.charCodeAt(end);
    if (isTokenChar(after) || ((after === 46 || after === 45) && isAlnum(text.charCodeAt(end + 1)))) return;
    // A network (`/24`) names no host.
    if (after === 47 && /^\/(?:[0-9]|[12]\d|3[01])(?!\d)/.test(text.slice(end, end + 4))) return;
    const [a, b, c, d] = address.octets as [number, number, number, number];
    if (keptIpv4(a, b, c, d) || VERSION_BEFORE.test(text.slice(Math.max(0, start - 12), start))) return;
    out.push({ start, end, type: "ip-address" });
  },
};

/** The 16-bit groups of an IPv6 address (an embedded IPv4 as two), or undefined when it is not one. */
export function ipv6Groups(address: string): number[] | undefined {
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(piece);
        if (v4 === null || v4.slice(1).some((o) => Number(o) > 255)) return undefined;
        groups.push(Number(v4[1]) * 256 + Number(v4[2]), Number(v4[3]) * 256 + Number(v4[4]));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/** Public resolvers and example.com's addresses. */
const KEPT_IPV6 = new Set([
  "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe", "2620:fe::9",
  "2606:2800:220:1:248:1893:25c8:1946", "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
]);

/**
 * Global unicast IPv6 (2000::/3) outside the documentation prefix 2001:db8::/32, Teredo 2001::/32 and
 * the public resolvers; loopback, link-local, unique-local, multicast and IPv4-mapped private addresses stay.
 */
function redactedIpv6(address: string, groups: number[]): boolean {
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const [a, b] = [groups[6]! >> 8, groups[6]! & 255];
    const [c, d] = [groups[7]! >> 8, groups[7]! & 255];
    return !keptIpv4(a, b, c, d);
  }
  if (groups[0]! < 0x2000 || groups[0]! > 0x3fff) return false;
  // Documentation (2001:db8::/32) and Teredo (2001::/32), which the examples of IPv6 parsers use.
  if (groups[0] === 0x2001 && (groups[1] === 0x0db8 || groups[1] === 0)) return false;
  return !KEPT_IPV6.has(address.toLowerCase());
}

const isIpv6Char = (c: number) => isHex(c) || c === 58 || c === 46;

export const ipv6: Detector = {
  // A global unicast address starts with a group of four, 2xxx or 3xxx, and a colon (digits read as 0);
  // an IPv4-mapped one with `::ffff:`.
  keywords: [...HEX_DIGITS.flatMap((a) => HEX_DIGITS.flatMap((b) => HEX_DIGITS.map((c) => `0${a}${b}${c}:`))), "::ffff:"],
  find(text, at, _keyword, out) {
    let start = at;
    const first = text.charCodeAt(at);
    if (first !== 50 && first !== 51 && first !== 58) return;
    let end = at;
    while (end < text.length && isIpv6Char(text.charCodeAt(end)) && end - start < 46) end++;
    // `::ffff:1.2.3.4` may start with colons; a sentence may end in one.
    if (text.charCodeAt(end - 1) === 46) end--;
    if (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58) end--;
    if (text.charCodeAt(start) === 58 && text.charCodeAt(start + 1) !== 58) start++;
    if (end - start < 6 || end - start > 45) return;
    const before = start > 0 ? text.charCodeAt(start - 1) : 32;
    const after = text.charCodeAt(end);
    if (isTokenChar(before) || before === 46 || before === 58 || isTokenChar(after) || (after === 58 && text.charCodeAt(end + 1) !== 32)) return;
    const address = text.slice(start, end);
    const groups = ipv6Groups(address);
    if (groups === undefined || !redactedIpv6(address, groups)) return;
    // A prefix shorter than /128 names a network, not a host.
    if (after === 47 && /^\/(?:\d|[1-9]\d|1[01]\d|12[0-7])(?!\d)/.test(text.slice(end, end + 5))) return;
    out.push({ start, end, type: "ip-address" });
  },
};
