import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MEMORY_V2, PROVIDERS } from "./providers";

const readme = fs.readFileSync(path.resolve(PROVIDERS, "../README.md"), "utf8");

/** The code block that follows `<!-- providers/<file> -->` in the README. */
function embedded(file: string): string {
  const match = new RegExp(
    `<!-- providers/${file.replace(".", "\\.")} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n`,
  ).exec(readme);
  if (!match) throw new Error(`README has no block for providers/${file}`);
  return match[1] as string;
}

describe("README", () => {
  it("shows the reference providers exactly as they are tested", () => {
    for (const file of ["kv.sh", "memory-v2.mjs"]) {
      expect(embedded(file), file).toBe(fs.readFileSync(path.join(PROVIDERS, file), "utf8"));
    }
  });

  it("keeps the v2 example within 50 lines", () => {
    expect(fs.readFileSync(MEMORY_V2, "utf8").trimEnd().split("\n").length).toBeLessThanOrEqual(50);
  });
});
