import { compareKeys, compareListOrder, isAfter, StoreError } from "@store/core/backend";
import { HOSTILE_KEYS, ORDER_KEYS } from "@store/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { decodeKey, encodeKey } from "../src/key-encoding";
import { clock, listBounds, olderThanBound, orderMember } from "../src/order";
import { adminClient, closeAdminClient, deleteUnder, keysUnder, testNamespace } from "./redis";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters from every range where UTF-8 and UTF-16 order disagree or encodings change length. */
const ALPHABET = [
  "a",
  "b",
  "A",
  "-",
  " ",
  "0",
  "9",
  "é",
  "ä",
  "ß",
  "ж",
  "中",
  "\ue000",
  "\uff61",
  "\uffff",
  "😀",
  "𝄞",
  "\u0800",
  "\u07ff",
];

function randomKey(next: () => number): string {
  const length = 1 + Math.floor(next() * 6);
  let key = "";
  for (let i = 0; i < length; i++) key += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return key;
}

const TIMESTAMPS = [
  "2026-11-26T08:40:00.123Z",
  "2026-11-26T08:40:00.124Z",
  "2026-11-26T08:40:01.000Z",
  "2025-01-01T00:00:00.000Z",
  "1999-12-31T23:59:59.999Z",
  "9999-12-31T23:59:59.999Z",
  "0001-01-01T00:00:00.000Z",
];

function sample(count: number, seed: number): Array<{ updatedAt: string; key: string }> {
  const next = random(seed);
  const seen = new Set<string>();
  const out: Array<{ updatedAt: string; key: string }> = [];
  for (const key of ORDER_KEYS) {
    out.push({ updatedAt: TIMESTAMPS[0] as string, key });
    seen.add(`${TIMESTAMPS[0]} ${key}`);
  }
  while (out.length < count) {
    const entry = {
      updatedAt: TIMESTAMPS[Math.floor(next() * TIMESTAMPS.length)] as string,
      key: randomKey(next),
    };
    if (seen.has(`${entry.updatedAt} ${entry.key}`)) continue;
    seen.add(`${entry.updatedAt} ${entry.key}`);
    out.push(entry);
  }
  return out;
}

describe("key encoding", () => {
  it("round-trips every testkit key and random keys exactly", () => {
    const next = random(1);
    const keys = [...ORDER_KEYS, ...HOSTILE_KEYS, ...Array.from({ length: 500 }, () => randomKey(next))];
    for (const key of keys) expect(decodeKey(encodeKey(key))).toBe(key);
  });

  it("sorts bytewise exactly as JavaScript compares strings (ORDER_KEYS and random keys)", () => {
    const next = random(2);
    const keys = [...ORDER_KEYS, ...Array.from({ length: 300 }, () => randomKey(next))];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(encodeKey(a), encodeKey(b)));
    expect(byBytes).toEqual([...keys].sort(compareKeys));
    // The case UTF-8 gets wrong: a surrogate pair sorts before U+E000 in UTF-16.
    expect(Buffer.compare(encodeKey("😀"), encodeKey("\ue000"))).toBe(-1);
    expect(Buffer.compare(Buffer.from("😀"), Buffer.from("\ue000"))).toBe(1);
  });

  it("writes ASCII and BMP text as UTF-8, so keys stay readable in redis-cli", () => {
    expect(encodeKey("lessons/ä 中").toString("utf8")).toBe("lessons/ä 中");
    expect(encodeKey("😀")).toEqual(Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]));
  });
});

describe("order members", () => {
  it("sort bytewise in list order: newest first, ties by key", () => {
    const entries = sample(400, 3);
    const byBytes = [...entries].sort((a, b) =>
      Buffer.compare(orderMember(a.updatedAt, a.key), orderMember(b.updatedAt, b.key)),
    );
    expect(byBytes).toEqual([...entries].sort(compareListOrder));
  });

  it("use a readable descending clock", () => {
    expect(clock("2026-11-26T08:40:00.123Z")).toBe("7973-88-73T91:59:99.876Z");
    expect(orderMember("2026-11-26T08:40:00.123Z", "k").toString()).toBe("7973-88-73T91:59:99.876Z k");
  });

  it("refuse a timestamp that is not canonical, naming the backend", () => {
    for (const bad of [
      "2026-11-26T08:40:00Z",
      "2026-11-26T08:40:00.123+00:00",
      "+010000-01-01T00:00:00.000Z",
    ]) {
      const error = (() => {
        try {
          clock(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(StoreError.isInstance(error, "INVALID_ARGUMENT")).toBe(true);
      expect((error as Error).message).toMatch(/^redis: timestamp/);
    }
  });
});

describe("on the real server, ZRANGE BYLEX over the members", () => {
  const namespace = testNamespace("order");
  const zset = `${namespace.next()}order`;
  const entries = sample(300, 4);
  const listOrder = [...entries].sort(compareListOrder);
  const key = (member: Buffer) => decodeKey(member.subarray(25)); // after the clock and its space

  afterAll(async () => {
    try {
      await deleteUnder(namespace.run);
      expect(await keysUnder(namespace.run)).toEqual([]);
    } finally {
      await closeAdminClient();
    }
  });

  it("returns list order, including the testkit's ORDER_KEYS", async () => {
    const redis = adminClient();
    for (const e of entries) await redis.zadd(zset, 0, orderMember(e.updatedAt, e.key));
    const members = await redis.zrangeBuffer(zset, 0, -1);
    expect(members.map(key)).toEqual(listOrder.map((e) => e.key));
  });

  it("seeks strictly after every cursor position, and only to live entries with notBefore", async () => {
    const redis = adminClient();
    for (const [i, after] of listOrder.entries()) {
      if (i % 7 !== 0) continue;
      const [min, max] = listBounds(after);
      const page = await redis.zrangeBuffer(zset, min, max, "BYLEX", "LIMIT", 0, 1000);
      expect(page.map(key)).toEqual(listOrder.filter((e) => isAfter(e, after)).map((e) => e.key));
    }
    for (const notBefore of [...TIMESTAMPS, "2026-11-26T08:40:00.000Z"]) {
      const [min, max] = listBounds(undefined, notBefore);
      const live = await redis.zrangeBuffer(zset, min, max, "BYLEX", "LIMIT", 0, 1000);
      expect(live.map(key)).toEqual(listOrder.filter((e) => e.updatedAt >= notBefore).map((e) => e.key));
      const old = await redis.zrangeBuffer(zset, olderThanBound(notBefore), "+", "BYLEX", "LIMIT", 0, 1000);
      expect(old.map(key)).toEqual(listOrder.filter((e) => e.updatedAt < notBefore).map((e) => e.key));
    }
  });
});
