import { describe, it } from "vitest";
import { memoryBackend, runConformanceSuite } from "../src/index";

// The reference backend passes the whole suite, with nothing skipped.
runConformanceSuite({ name: "memory (reference)", backend: memoryBackend, runner: { describe, it } });
