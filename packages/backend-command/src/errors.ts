import { StoreError, type StoreErrorCode } from "@store/core";

/** The name every message of this backend starts with. */
export const BACKEND_NAME = "command";

/** The first bytes of some output, quoted, for protocol errors. */
export function quoteStart(text: string | Buffer, max = 120): string {
  const s = typeof text === "string" ? text : text.subarray(0, max * 4).toString("utf8");
  const head = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(head);
}

/** What an op is doing, for messages: `get of key "k" in store "s"` (project named when set). */
export interface OpLabel {
  provider: string;
  op: string;
  store: string;
  project: string;
  key?: string;
}

export function describeOp(label: OpLabel): string {
  const key = label.key === undefined ? "" : ` of key ${JSON.stringify(label.key)}`;
  const project = label.project ? ` (project "${label.project}")` : "";
  return `${label.op}${key} in store "${label.store}"${project}`;
}

export function providerError(
  code: StoreErrorCode,
  label: OpLabel,
  reason: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): StoreError {
  return new StoreError(
    code,
    `${BACKEND_NAME}: provider "${label.provider}": ${describeOp(label)}: ${reason}`,
    {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      details: {
        provider: label.provider,
        op: label.op,
        store: label.store,
        project: label.project,
        ...(label.key === undefined ? {} : { key: label.key }),
        reason,
        ...options.details,
      },
    },
  );
}

/** `…: <reason>; stderr: <tail>` when there is a tail worth showing. */
export function withStderr(reason: string, stderr: string): string {
  return stderr ? `${reason}; stderr: ${stderr}` : `${reason} (no stderr)`;
}
