import { printable, type StoreEntry } from "@store/core";

/** An entry as the CLI prints it: snake_case fields, as in manifests and the command protocol. */
export interface EntryJson {
  key: string;
  value: unknown;
  version: number;
  updated_at: string;
  created_at: string;
  task_id: string;
}

/** Field order is the export format's: key, value, version, updated_at, created_at, task_id. */
export function entryJson(e: StoreEntry): EntryJson {
  return {
    key: e.key,
    value: e.value,
    version: e.version,
    updated_at: e.updatedAt,
    created_at: e.createdAt,
    task_id: e.taskId,
  };
}

/**
 * A key (or other stored text) quoted for a message: JSON escapes control characters, `printable`
 * the bidi and zero-width ones JSON leaves alone, so a key cannot reorder or hide the line it is in.
 */
export function quoted(text: string): string {
  return printable(JSON.stringify(text));
}

/** How many terminal columns a string takes (wide CJK and emoji count two; combining marks none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0) as number);
  return width;
}

function charWidth(cp: number): number {
  if (cp === 0x200d || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Cuts `text` to at most `max` columns, ending with "…" when cut; never splits a surrogate pair. */
export function shorten(text: string, max: number): string {
  if (max <= 0) return "";
  if (displayWidth(text) <= max) return text;
  let out = "";
  let width = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0) as number);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

export interface Column<Row> {
  header: string;
  value(row: Row): string;
  /** Cap on this column's width; the last column instead takes what the terminal has left. */
  max?: number;
}

/**
 * An aligned table: a header row, two spaces between columns, every cell on one line. The last column
 * is shortened to fit `width` (the terminal's columns) and never below 10 columns.
 */
export function table<Row>(rows: Row[], columns: Column<Row>[], width: number): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) => {
    const natural = Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i] as string)));
    return c.max === undefined ? natural : Math.min(natural, Math.max(c.max, displayWidth(c.header)));
  });
  const last = columns.length - 1;
  const used = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
  widths[last] = Math.min(widths[last] as number, Math.max(10, width - used));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const cut = shorten(v, widths[i] as number);
        return i === last ? cut : cut + " ".repeat((widths[i] as number) - displayWidth(cut));
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n") + "\n";
}

/** A cell on one line, with control and bidi characters escaped: stored text is shown, never obeyed. */
function oneLine(text: string): string {
  return printable(text);
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : pluralWord}`;
}
