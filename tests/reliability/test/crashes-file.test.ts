import path from "node:path";
import { expect } from "vitest";
import { crashRounds, filesNamed } from "./support/crash-rounds";

/**
 * The file backend under SIGKILL. Each round reads every entry back (a value file without valid JSON
 * would fail there). A killed writer's temp file (`.tmp-*`) is never an entry (the rounds compare the
 * keys), and once a clean process has written to each store again, none is left.
 */
crashRounds("file", {
  recoversFromFiles: true,
  integrity(dataDir, when) {
    if (!when?.final) return;
    expect(filesNamed(path.join(dataDir, "stores"), ".tmp-")).toEqual([]);
  },
});
