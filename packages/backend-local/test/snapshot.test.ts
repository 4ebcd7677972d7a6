import { StoreError } from "@store/core";
import { describe, expect, it } from "vitest";
import { openManager } from "./helpers";

describe("export from one snapshot (a read-only connection of its own)", () => {
  it("a rewrite, a new key and a delete during the export: every entry once, as it was when it began", async () => {
    const { manager, clock } = openManager();
    const store = manager.store("s");
    await store.import(
      Array.from({ length: 2500 }, (_, i) => ({
        key: `k${String(i).padStart(4, "0")}`,
        value: i,
        updatedAt: new Date(clock.now() - (2500 - i) * 1000).toISOString(),
      })),
    );
    const reader = await store.openReader();
    expect(reader.snapshot).toBe(true);
    const seen = [...(await reader.read(100))];
    clock.advance(1000);
    await store.put("k0000", "rewritten"); // the oldest, not read yet: it moves to the front
    await store.put("k-new", "new");
    await store.delete("k1000");
    for (;;) {
      const batch = await reader.read(1000);
      if (batch.length === 0) break;
      seen.push(...batch);
    }
    await reader.close();
    expect(seen.length).toBe(2500);
    expect(new Set(seen.map((e) => e.key)).size).toBe(2500);
    expect(seen[0]?.key).toBe("k2499");
    expect(seen.at(-1)).toMatchObject({ key: "k0000", value: 0 });
    expect(seen.some((e) => e.key === "k1000")).toBe(true);
    expect(seen.some((e) => e.key === "k-new")).toBe(false);
    // A new export sees the writes.
    const keys: string[] = [];
    for await (const e of store.entries({ batchSize: 300 })) keys.push(e.key);
    expect(keys.slice(0, 2)).toEqual(["k-new", "k0000"]);
    expect(keys).not.toContain("k1000");
  });

  it("a reader left open is closed with the backend; reading it then fails with CLOSED", async () => {
    const opened = openManager();
    const store = opened.manager.store("s");
    await store.import(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: i })));
    const backend = await opened.backend();
    const snapshots = (backend as unknown as { snapshots: Set<unknown> }).snapshots;
    const reader = await store.openReader();
    expect((await reader.read(3)).length).toBe(3);
    expect(snapshots.size).toBe(1);
    await opened.manager.close();
    expect(snapshots.size).toBe(0);
    // Not an empty read: an export cut short must not look complete.
    await expect(reader.read(3)).rejects.toMatchObject({ code: "CLOSED" });
    await reader.close();
    const error = await Promise.resolve()
      .then(() => backend.snapshot?.({ store: "s", project: "" }, {}))
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "CLOSED")).toBe(true);
  });

  it("the read connection closes itself at the end of the entries", async () => {
    const opened = openManager();
    const store = opened.manager.store("s");
    await store.import(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i })));
    const snapshots = ((await opened.backend()) as unknown as { snapshots: Set<unknown> }).snapshots;
    const keys: string[] = [];
    for await (const e of store.entries({ batchSize: 2 })) keys.push(e.key);
    expect(keys.length).toBe(5);
    expect(snapshots.size).toBe(0);
  });

  it(":memory: has one connection only: no snapshot, export pages through list", async () => {
    const opened = openManager({ options: { path: ":memory:" } });
    const store = opened.manager.store("s");
    await store.put("k", 1);
    expect((await opened.backend()).snapshot).toBeUndefined();
    const reader = await store.openReader();
    expect(reader.snapshot).toBe(false);
    expect((await reader.read(10)).map((e) => e.key)).toEqual(["k"]);
    await reader.close();
  });
});
