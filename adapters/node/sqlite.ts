import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { sqliteStore, type SqliteDatabase } from "../../src/index.ts";

const require = createRequire(import.meta.url);

/**
 * Every room's storage and alarm in `dataDir/rooms.sqlite`: through
 * `node:sqlite` where this Node has it (22.5 and later), else through the
 * `better-sqlite3` package (install it on Node 20).
 */
export function nodeSqliteStore(dataDir: string): ReturnType<typeof sqliteStore> {
  mkdirSync(dataDir, { recursive: true });
  return sqliteStore(open(`${dataDir.replace(/\/+$/, "")}/rooms.sqlite`));
}

function open(path: string): SqliteDatabase {
  let builtIn: { DatabaseSync: new (path: string) => SqliteDatabase } | undefined;
  try {
    builtIn = require("node:sqlite");
  } catch {
    // Node before 22.5.
  }
  if (builtIn) return new builtIn.DatabaseSync(path);
  try {
    const Database = require("better-sqlite3") as new (path: string) => SqliteDatabase;
    return new Database(path);
  } catch (error) {
    throw new Error(
      `roomwire keeps room storage in SQLite when dataDir is given, and this Node (${process.version}) has no node:sqlite: install better-sqlite3 (npm install better-sqlite3@12), use Node 22.5 or later, or leave out dataDir to keep rooms in memory.`,
      { cause: error },
    );
  }
}
