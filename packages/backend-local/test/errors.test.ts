import fs from "node:fs";
import path from "node:path";
import { StoreError } from "@store/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { openManager, ref } from "./helpers";

describe("errors and closing", () => {
  it("a write blocked past the busy timeout fails as BACKEND_IO naming the store and key, keeping the cause", async () => {
    const { manager, dataDir } = openManager({ options: { busyTimeoutMs: 50 } });
    const s = manager.store("s", { project: "p1" });
    await s.put("k", 1);
    const blocker = new Database(path.join(dataDir, DEFAULT_FILE_NAME));
    blocker.prepare("BEGIN IMMEDIATE").run();
    try {
      const error = (await s.put("blocked", 2).catch((e: unknown) => e)) as StoreError;
      expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
      expect(error.message).toMatch(
        /^local: put of key "blocked" in store "s" \(project "p1"\) failed: database is locked/,
      );
      expect(error.details).toMatchObject({
        store: "s",
        project: "p1",
        key: "blocked",
        sqliteCode: "SQLITE_BUSY",
      });
      expect((error.cause as { code?: string }).code).toBe("SQLITE_BUSY");
      // Reads still work while another connection writes (WAL).
      expect(await s.get("k")).toBe(1);
    } finally {
      blocker.prepare("ROLLBACK").run();
      blocker.close();
    }
    await s.put("blocked", 2);
    expect(await s.get("blocked")).toBe(2);
  });

  it("close releases the file: the WAL is folded back and no descriptor stays open", async () => {
    const { manager, dataDir, backend } = openManager();
    await manager.store("s").put("k", 1);
    const b = await backend();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const openOnFile = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
        } catch {
          return false;
        }
      });
    if (process.platform === "linux") expect(openOnFile().length).toBeGreaterThan(0);
    await manager.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
    if (process.platform === "linux") expect(openOnFile()).toEqual([]);
    b.close(); // a second close is harmless
    const closed = (() => {
      try {
        b.get(ref, "k", {});
      } catch (e) {
        return e;
      }
    })();
    expect(StoreError.isInstance(closed, "CLOSED")).toBe(true);
    expect((closed as Error).message).toBe('local: get of key "k" in store "s": the backend is closed');
    // The data is in the main file now.
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT count(*) FROM entries").pluck().get()).toBe(1);
    raw.close();
  });
});
