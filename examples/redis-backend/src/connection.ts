import { Redis } from "ioredis";
import { errors } from "./errors";
import type { ResolvedRedisOptions } from "./options";
import { SCRIPT_DEFINITIONS } from "./scripts";

/** `redis://host:port/db`: the url without user name or password, for messages. */
export function describeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.error("INVALID_ARGUMENT", "option url is not a valid URL (expected redis://host:port/db)");
  }
  const db = parsed.pathname && parsed.pathname !== "/" ? parsed.pathname : "";
  return `${parsed.protocol}//${parsed.host}${db}`;
}

/** How the backend's connections show in CLIENT LIST. */
export const CONNECTION_NAME = "wfstore";

/** ZRANGE … BYLEX LIMIT, which the scripts use, came with Redis 6.2. */
const MINIMUM_VERSION = [6, 2];

/**
 * A connected client with the scripts defined. Fails at once with BACKEND_IO naming the server
 * (never its credentials) when Redis cannot be reached, rather than queueing commands forever.
 */
export async function connect(options: ResolvedRedisOptions): Promise<Redis> {
  const server = describeServer(options.url);
  let connected = false;
  let lastError: Error | undefined;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectionName: CONNECTION_NAME,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // The first connection gets one try, so an unreachable server is reported now; a connection
    // lost later is retried with backoff, and commands waiting for it fail after three attempts.
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
    maxRetriesPerRequest: 3,
    // A write whose reply was lost with the connection may have been applied: report the failure
    // rather than send it again (a resent conditional put would then conflict with itself).
    autoResendUnfulfilledCommands: false,
    scripts: SCRIPT_DEFINITIONS,
  });
  // ioredis reports connection trouble as events; without a listener it prints them to stderr.
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const reason = (lastError ?? (error as Error)).message;
    throw errors.error("BACKEND_IO", `cannot connect to Redis at ${server}: ${reason}`, {
      cause: lastError ?? error,
      details: { server },
    });
  }
  connected = true;
  await checkVersion(redis, server);
  return redis;
}

async function checkVersion(redis: Redis, server: string): Promise<void> {
  let version: string | undefined;
  try {
    version = /^redis_version:(\S+)/m.exec(await redis.info("server"))?.[1];
  } catch (error) {
    redis.disconnect();
    throw errors.io(error, `checking the version of Redis at ${server}`);
  }
  const [major = 0, minor = 0] = (version ?? "0.0").split(".").map(Number);
  const [needMajor = 0, needMinor = 0] = MINIMUM_VERSION;
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    redis.disconnect();
    throw errors.error(
      "UNSUPPORTED",
      `Redis at ${server} is version ${version ?? "unknown"}; this backend needs ${MINIMUM_VERSION.join(".")} or newer`,
      { details: { server, version } },
    );
  }
}
