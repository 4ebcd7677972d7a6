import { expect, it } from "vitest";
import { codeOf } from "./stores";

/** One hostile input: what it does, and the exact error code it must end with. */
export interface HostileCase<C> {
  name: string;
  code: string;
  run(context: C): unknown;
  /**
   * A known defect this case shows: it is registered with `it.fails` and the defect in its name,
   * until the owner fixes it (docs/RELIABILITY.md, "Open defects").
   */
  defect?: string;
}

/**
 * Registers one test per case. Each makes ONE assertion: the exact error code, and that the stored
 * data is exactly as it was just before the case (`snapshot` of every watched entry, before and after).
 */
export function hostileCases<C>(
  cases: HostileCase<C>[],
  context: () => C,
  snapshot: () => Promise<string>,
  timeout = 30_000,
): void {
  for (const c of cases) {
    const register = c.defect ? it.fails : it;
    const title = `${c.name} → ${c.code}${c.defect ? ` [known defect: ${c.defect}]` : ""}`;
    register(
      title,
      async () => {
        const before = await snapshot();
        const code = await codeOf(() => c.run(context()));
        expect({ code, intact: (await snapshot()) === before }).toEqual({ code: c.code, intact: true });
      },
      timeout,
    );
  }
}
