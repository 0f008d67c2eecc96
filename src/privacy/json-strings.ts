// Rewrites the string literals of a JSON text one by one, leaving everything else (spacing, key
// order, number spelling, the escapes of unchanged strings) as it was. Redaction works on the decoded
// strings, never across an escape: a private key pasted with `\n` escapes is one decoded string.

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * `json` (valid JSON) with every string literal passed through `replace` as its decoded value, with
 * the name of the object member it is the value of (undefined for keys, array items and the root).
 * Changed strings are written back with JSON.stringify's escapes; unchanged ones keep their own.
 */
export function rewriteJsonStrings(json: string, replace: (value: string, key: string | undefined, isKey: boolean) => string): string {
  let out = "";
  let copied = 0;
  // For each open container, whether it is an object; the key whose value comes next, if a string may.
  const objects: boolean[] = [];
  let key: string | undefined;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 123 || c === 91) {
      // { [
      objects.push(c === 123);
      expectKey = c === 123;
      key = undefined;
    } else if (c === 125 || c === 93) {
      // } ]
      objects.pop();
      expectKey = false;
      key = undefined;
    } else if (c === 44) {
      // ,
      expectKey = objects[objects.length - 1] === true;
      key = undefined;
    } else if (c === QUOTE) {
      let end = i + 1;
      let escaped = false;
      for (; end < json.length; end++) {
        const k = json.charCodeAt(end);
        if (k === BACKSLASH) {
          escaped = true;
          end++;
        } else if (k === QUOTE) {
          break;
        }
      }
      const literal = json.slice(i, end + 1);
      const value = escaped ? (JSON.parse(literal) as string) : literal.slice(1, -1);
      const isKey = expectKey;
      const replaced = replace(value, isKey ? undefined : key, isKey);
      if (replaced !== value) {
        out += json.slice(copied, i) + JSON.stringify(replaced);
        copied = end + 1;
      }
      key = isKey ? value : undefined;
      expectKey = false;
      i = end;
    }
  }
  return copied === 0 ? json : out + json.slice(copied);
}
