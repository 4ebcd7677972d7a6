/** A password inside a URL: `scheme://user:password@host`. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*:)([^/?#@\s]*)(@)/i;
/** Option names whose values are credentials. */
const SECRET_NAME = /pass(word)?|secret|token|api[_-]?key|credential/i;
const HIDDEN = "***";

/**
 * A copy of a resource for display (`wfstore get`), with credentials hidden: the password of every
 * URL (a `connection_string`), and the values of options named like secrets. What is saved and used
 * is unchanged; a credential never reaches the terminal or a log collected from it.
 */
export function redactCredentials<T>(value: T, name = ""): T {
  if (typeof value === "string") {
    if (name && SECRET_NAME.test(name)) return HIDDEN as T;
    return value.replace(URL_PASSWORD, `$1${HIDDEN}$3`) as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactCredentials(v, name)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactCredentials(v, k)])) as T;
  }
  return value;
}
