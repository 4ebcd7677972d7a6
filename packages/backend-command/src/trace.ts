import { printable } from "@store/core/backend";

/** Strings (and values) longer than this are elided in traces. */
export const TRACE_ELIDE_AT = 200;

/** Writes one trace line on stderr, or nothing when tracing is off. */
export type Trace = ((line: string) => void) | undefined;

/**
 * `STORE_TRACE=1` in the host's environment: every request and reply of both protocols goes to stderr,
 * for provider authors. Read when an instance is created.
 */
export function tracer(provider: string, env: NodeJS.ProcessEnv = process.env): Trace {
  const setting = env.STORE_TRACE;
  if (!setting || setting === "0" || setting === "false") return undefined;
  return (line) => process.stderr.write(`[wfstore trace] provider "${provider}" ${printable(line)}\n`);
}

/** `text`, cut at TRACE_ELIDE_AT characters with the size of what was left out. */
export function elide(text: string): string {
  return text.length <= TRACE_ELIDE_AT ? text : `${text.slice(0, TRACE_ELIDE_AT)}…(${text.length} chars)`;
}

function elideJson(value: unknown, field?: string): unknown {
  if (typeof value === "string") return elide(value);
  if (typeof value !== "object" || value === null) return value;
  if (field === "value") {
    const json = JSON.stringify(value);
    if (json.length > TRACE_ELIDE_AT) return `${json.slice(0, TRACE_ELIDE_AT)}…(${json.length} chars)`;
  }
  if (Array.isArray(value)) return value.map((v) => elideJson(v));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, elideJson(v, k)]));
}

/** A JSON line with long strings and values elided, every other field kept. */
export function elideLine(line: string): string {
  try {
    return JSON.stringify(elideJson(JSON.parse(line)));
  } catch {
    return elide(line);
  }
}
