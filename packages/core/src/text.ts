/**
 * C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text (bidi
 * embeddings, overrides and isolates, zero-width marks, line and paragraph separators).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text from outside (a provider's stderr or output, a stored key) made safe to show on a terminal
 * inside one line: escape sequences, line breaks and bidi controls become visible `\xNN` / `\uNNNN`.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** The first `max` characters of `text`, printable and quoted, for errors that cite foreign output. */
export function quoteStart(text: string, max = 120): string {
  const head = text.length > max ? `${text.slice(0, max)}…` : text;
  return `"${printable(head).replaceAll('"', '\\"')}"`;
}

/**
 * The candidate nearest to a misspelt `word` (case-insensitive edit distance), when it is near enough
 * to be a typo: for "did you mean …?" in messages.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
