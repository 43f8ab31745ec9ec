import type { LocalStore } from "./local-rooms.ts";
import type { StoragePort } from "./ports.ts";

/** A prepared statement, as bun:sqlite, node:sqlite and better-sqlite3 all offer it. */
export interface SqliteStatement {
  run(...params: (string | number)[]): { changes: number | bigint };
  get(...params: (string | number)[]): unknown;
  all(...params: (string | number)[]): unknown[];
}

/** The part of a synchronous SQLite database roomwire uses: bun:sqlite's `Database`, node:sqlite's `DatabaseSync`, better-sqlite3. */
export interface SqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

const encoder = new TextEncoder();

/**
 * Every room's storage and alarm in one SQLite database (the `LocalStore` of
 * the Bun and Node adapters). A commit is one synchronous transaction, so it
 * is on disk (WAL) before the frames that wait for it are sent.
 *
 * @example
 * const store = sqliteStore(new Database("rooms.sqlite")); // bun:sqlite
 */
export function sqliteStore(db: SqliteDatabase): LocalStore & { close(): void } {
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("CREATE TABLE IF NOT EXISTS storage (room TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room, key)) WITHOUT ROWID");
  db.exec("CREATE TABLE IF NOT EXISTS alarms (room TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  const statements = {
    get: db.prepare("SELECT value FROM storage WHERE room = ? AND key = ?"),
    put: db.prepare("INSERT OR REPLACE INTO storage (room, key, value) VALUES (?, ?, ?)"),
    delete: db.prepare("DELETE FROM storage WHERE room = ? AND key = ?"),
    setAlarm: db.prepare("INSERT OR REPLACE INTO alarms (room, at) VALUES (?, ?)"),
    getAlarm: db.prepare("SELECT at FROM alarms WHERE room = ?"),
    deleteAlarm: db.prepare("DELETE FROM alarms WHERE room = ?"),
    alarms: db.prepare("SELECT room, at FROM alarms"),
  };
  const lists = new Map<string, SqliteStatement>();

  function commit(room: string, puts: [string, string][], deletes: string[]): void {
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const [key, value] of puts) statements.put.run(room, key, value);
      for (const key of deletes) statements.delete.run(room, key);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }

  return {
    storage(room: string): StoragePort {
      return {
        async get(key) {
          const row = statements.get.get(room, key) as { value: string } | null | undefined;
          return row?.value;
        },
        async commit(puts, deletes) {
          commit(room, puts, deletes);
        },
        async list({ prefix, start, end, limit, reverse }) {
          let sql = "SELECT key, value FROM storage WHERE room = ?";
          const params: (string | number)[] = [room];
          if (prefix) {
            // Compared as bytes: SQLite's text functions stop at a NUL character.
            sql += " AND key >= ? AND substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)";
            params.push(prefix, encoder.encode(prefix).byteLength, prefix);
          }
          if (start !== undefined) (sql += " AND key >= ?"), params.push(start);
          if (end !== undefined) (sql += " AND key < ?"), params.push(end);
          sql += reverse ? " ORDER BY key DESC" : " ORDER BY key ASC";
          if (limit !== undefined) (sql += " LIMIT ?"), params.push(limit);
          let statement = lists.get(sql);
          if (!statement) lists.set(sql, (statement = db.prepare(sql)));
          const rows = statement.all(...params) as { key: string; value: string }[];
          return rows.map((row) => [row.key, row.value]);
        },
      };
    },
    setAlarm: (room, at) => void statements.setAlarm.run(room, at),
    getAlarm: (room) => (statements.getAlarm.get(room) as { at: number } | null | undefined)?.at ?? null,
    deleteAlarm: (room) => void statements.deleteAlarm.run(room),
    alarms: () => statements.alarms.all() as { room: string; at: number }[],
    close: () => void db.close(),
  };
}
