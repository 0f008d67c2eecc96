const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `value` with every lone UTF-16 surrogate (half of a pair, as a `\ud800` escape in JSON can give) in its
 * strings and keys replaced by U+FFFD, and how many were replaced. Such a string has no UTF-8 form, so
 * other readers of the output would fail on it. Unchanged parts are shared, not copied.
 */
export function withWellFormedStrings<T>(value: T): { value: T; replaced: number } {
  let replaced = 0;
  const fix = (text: string): string => {
    if (text.isWellFormed()) return text;
    replaced += text.match(LONE_SURROGATE)?.length ?? 0;
    return text.toWellFormed();
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") return fix(node);
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < node.length; i++) {
        const item = walk(node[i]);
        if (item !== node[i]) (copy ??= [...node])[i] = item;
      }
      return copy ?? node;
    }
    let copy: Record<string, unknown> | undefined;
    const object = node as Record<string, unknown>;
    // keys, not entries: no pair array is made per member
    for (const key of Object.keys(object)) {
      const item = object[key];
      const fixedKey = fix(key);
      const fixed = walk(item);
      if (fixedKey === key && fixed === item) continue;
      copy ??= { ...(node as Record<string, unknown>) };
      if (fixedKey !== key) delete copy[key];
      copy[fixedKey] = fixed;
    }
    return copy ?? node;
  };
  const result = walk(value) as T;
  return { value: result, replaced };
}
