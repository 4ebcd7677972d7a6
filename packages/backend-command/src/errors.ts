import {
  backendErrors,
  printable,
  type StoreError,
  type StoreErrorCode,
  type StoreRef,
} from "@store/core/backend";
import { COMMAND_BACKEND_NAME } from "./options";

export const errors = backendErrors(COMMAND_BACKEND_NAME);

/** What an op is doing, for messages and `details`. */
export interface OpLabel {
  provider: string;
  op: string;
  store: string;
  project: string;
  key?: string;
}

export function opLabel(provider: string, op: string, ref: StoreRef, key?: string): OpLabel {
  return { provider, op, store: ref.store, project: ref.project, ...(key === undefined ? {} : { key }) };
}

/**
 * `get of key "k" in store "s" (project "p")`, or just the op when it concerns no store (`start`). A
 * key may hold bidi characters: they are shown escaped.
 */
export function describeOp(label: OpLabel): string {
  if (!label.store) return label.op;
  const key = label.key === undefined ? "" : ` of key ${printable(JSON.stringify(label.key))}`;
  const project = label.project ? ` (project "${label.project}")` : "";
  return `${label.op}${key} in store "${label.store}"${project}`;
}

/** `command: provider "p": get of key "k" in store "s": <reason>`, with the label in `details`. */
export function providerError(
  code: StoreErrorCode,
  label: OpLabel,
  reason: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): StoreError {
  return errors.error(code, `provider "${label.provider}": ${describeOp(label)}: ${reason}`, {
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: { ...label, reason, ...options.details },
  });
}

/**
 * `<reason>; stderr: <tail>`. The tail is the provider's own text: control and bidi characters are
 * escaped, so it can neither clear a terminal nor reorder the message around it.
 */
export function withStderr(reason: string, stderr: string): string {
  return stderr ? `${reason}; stderr: ${printable(stderr)}` : `${reason} (no stderr)`;
}

export function closedError(label: OpLabel): StoreError {
  return errors.closed(`provider "${label.provider}": ${describeOp(label)}`);
}
