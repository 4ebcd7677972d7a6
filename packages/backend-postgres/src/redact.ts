/** `scheme://user:password@` in any text: the password goes, whatever it is. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi;

/** Secrets shorter than this are left to the URL rule: replacing every "ab" would garble messages. */
const MIN_SECRET_LENGTH = 3;

export type Redact = (text: string) => string;

/**
 * A function that removes the given secrets (a password, a whole connection string) from text before
 * it reaches an error message, its details or a log line: in each spelling a driver could print
 * (as given, and percent-encoded as in a URL).
 */
export function redactor(secrets: Array<string | undefined>): Redact {
  const spellings = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    spellings.add(secret);
    spellings.add(encodeURIComponent(secret));
  }
  // Longest first, so a connection string goes as a whole before its password is looked for.
  const ordered = [...spellings].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of ordered) if (out.includes(s)) out = out.replaceAll(s, "***");
    return out.replace(URL_PASSWORD, "$1***@");
  };
}
