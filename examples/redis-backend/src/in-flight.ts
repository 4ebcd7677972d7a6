import type { Redis } from "ioredis";

/** The reason a command fails when its connection closes before the reply arrives. */
export class ConnectionLost extends Error {
  constructor() {
    super(
      "the connection to Redis was lost before the reply arrived (a write may or may not have been applied)",
    );
    this.name = "ConnectionLost";
  }
}

/**
 * Fails commands whose connection closed before they were answered. The client is created with
 * `autoResendUnfulfilledCommands: false`, because sending a write again after a lost reply could
 * apply it twice; but ioredis then drops such commands without settling them, and they would hang
 * until `commandTimeout`. A command issued while the client is reconnecting is not affected: it
 * waits in ioredis's offline queue and is sent (once) after the reconnect.
 */
export class InFlight {
  private readonly pending = new Set<(error: Error) => void>();

  constructor(private readonly redis: Redis) {
    redis.on("close", () => {
      for (const reject of this.pending) reject(new ConnectionLost());
      this.pending.clear();
    });
  }

  run<T>(command: () => Promise<T>): Promise<T> {
    if (this.redis.status !== "ready") return command();
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      command()
        .then(resolve, reject)
        .finally(() => this.pending.delete(reject));
    });
  }
}
