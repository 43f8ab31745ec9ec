import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Server processes compete for 2 cores; one test file at a time keeps timings honest.
    fileParallelism: false,
  },
});
