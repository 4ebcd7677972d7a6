import { StoreError } from "@store/core";
import { type Check, check } from "../check";
import { expect } from "../expect";

export const largeValueChecks: Check[] = [
  check(
    "large-values",
    "a value just under the size limit round-trips; one byte over is refused",
    async (t) => {
      const s = t.store();
      const overhead = JSON.stringify({ blob: "" }).length;
      const fits = { blob: "x".repeat(t.maxValueBytes - overhead) };
      await s.put("big", fits);
      expect(await s.get("big")).toEqual(fits);
      const tooBig = { blob: "x".repeat(t.maxValueBytes - overhead + 1) };
      const error = await s.put("big", tooBig).catch((e: unknown) => e);
      expect(StoreError.isInstance(error, "VALUE_TOO_LARGE")).toBe(true);
      expect(((await s.get("big")) as { blob: string }).blob.length).toBe(fits.blob.length);
    },
  ),
  check("large-values", "multi-byte characters count as UTF-8 bytes", async (t) => {
    const s = t.store();
    const chars = Math.floor((t.maxValueBytes - 2) / 4);
    const emoji = "😀".repeat(chars); // 4 bytes each in UTF-8
    await s.put("emoji", emoji);
    expect(await s.get("emoji")).toBe(emoji);
    const error = await s.put("emoji2", `${emoji}😀`).catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "VALUE_TOO_LARGE")).toBe(true);
  }),
];

export const concurrencyChecks: Check[] = [
  check("concurrency", "200 concurrent puts of distinct keys all land", async (t) => {
    const s = t.store();
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(`k${i}`, { i })));
    const entries = await s.list({ limit: 1000 });
    expect(entries).toHaveLength(200);
    expect(new Set(entries.map((e) => e.key)).size).toBe(200);
    expect(await s.get("k137")).toEqual({ i: 137 });
  }),
  check("concurrency", "concurrent puts to one key leave exactly one whole value", async (t) => {
    const s = t.store();
    const values = Array.from({ length: 50 }, (_, i) => ({ writer: i, pad: "p".repeat(1000 + i) }));
    await Promise.all(values.map((v) => s.put("same", v)));
    expect(await s.list()).toHaveLength(1);
    expect(values).toContainEqual(await s.get("same"));
  }),
  check("concurrency", "concurrent reads, writes and deletes on many keys stay consistent", async (t) => {
    const s = t.store();
    await Promise.all(Array.from({ length: 60 }, (_, i) => s.put(`k${i}`, i)));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 ? s.delete(`k${i}`) : s.get(`k${i}`).then((v) => expect(v).toBe(i)),
      ),
    );
    const keys = (await s.list({ limit: 1000 })).map((e) => e.key);
    expect(keys.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i * 2}`).sort());
  }),
];

export const importChecks: Check[] = [
  check("import", "import keeps each entry's timestamps and task id", async (t) => {
    const s = t.store();
    const entries = [
      {
        key: "a",
        value: 1,
        createdAt: "2025-01-01T00:00:00.000Z",
        updatedAt: "2025-06-01T00:00:00.000Z",
        taskId: "t1",
      },
      {
        key: "b",
        value: [2],
        createdAt: "2025-02-01T00:00:00.000Z",
        updatedAt: "2025-07-01T12:00:00.250Z",
        taskId: "",
      },
      { key: "c", value: null, updatedAt: "2025-05-01T00:00:00+02:00" },
    ];
    expect(await s.import(entries)).toBe(3);
    expect((await s.list()).map(({ version: _, ...e }) => e)).toEqual([
      {
        key: "b",
        value: [2],
        createdAt: "2025-02-01T00:00:00.000Z",
        updatedAt: "2025-07-01T12:00:00.250Z",
        taskId: "",
      },
      {
        key: "a",
        value: 1,
        createdAt: "2025-01-01T00:00:00.000Z",
        updatedAt: "2025-06-01T00:00:00.000Z",
        taskId: "t1",
      },
      {
        key: "c",
        value: null,
        createdAt: "2025-04-30T22:00:00.000Z",
        updatedAt: "2025-04-30T22:00:00.000Z",
        taskId: "",
      },
    ]);
  }),
  check("import", "export then import into another store is a faithful copy", async (t) => {
    const from = t.store("source");
    for (let i = 0; i < 25; i++) {
      await from.put(`k${i}`, { i }, { taskId: `task-${i % 3}` });
      t.clock.advance(i % 4 === 0 ? 0 : 7);
    }
    const exported = [];
    for await (const e of from.entries({ batchSize: 10 })) exported.push(e);
    const to = t.store("target", "elsewhere");
    expect(await to.import(exported, { batchSize: 7 })).toBe(25);
    expect(await to.list({ limit: 1000 })).toEqual(await from.list({ limit: 1000 }));
  }),
  check("import", "a bad entry stops the import with its position and keeps what is stored", async (t) => {
    const s = t.store();
    await s.put("keep", "me");
    const error = await s
      .import(
        [
          { key: "ok", value: 1 },
          { key: "", value: 2 },
        ],
        { batchSize: 1 },
      )
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "INVALID_KEY")).toBe(true);
    expect((error as Error).message).toMatch(/import entry 2/);
    expect(await s.get("keep")).toBe("me");
    expect(await s.get("ok")).toBe(1);
  }),
];
