import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { sqliteStore } from "../../src/index.ts";

/** Every room's storage and alarm in `dataDir/rooms.sqlite` (bun:sqlite), or in memory without `dataDir`. */
export function bunSqliteStore(dataDir: string | undefined): ReturnType<typeof sqliteStore> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  return sqliteStore(new Database(dataDir ? `${dataDir.replace(/\/+$/, "")}/rooms.sqlite` : ":memory:", { create: true, strict: true }));
}
