/**
 * The host variables every command and provider process gets: enough to find programs, a home and a
 * temp dir, and to decode text the way the user does. Nothing else of the host (tokens, keys) leaks
 * unless the manifest names it in `env`.
 */
export const HOST_ENV_NAMES: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TMPDIR",
  "TZ",
  "LANG",
  "LANGUAGE",
];

/** The base environment of one backend instance: the minimal host set (and `LC_*`), then the listed names. */
export function baseEnvironment(
  listed: readonly string[],
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  const copy = (name: string) => {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  };
  for (const name of HOST_ENV_NAMES) copy(name);
  for (const name of Object.keys(host)) if (name.startsWith("LC_")) copy(name);
  for (const name of listed) copy(name);
  return env;
}
