import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import type { StoragePort } from "../../src/index.ts";

/**
 * Every room's storage and alarm in one SQLite database: a file in
 * `dataDir`, or memory. A commit is one synchronous transaction, so it is
 * on disk before the frames that wait for it are sent.
 */
export class SqliteRooms {
  private readonly db: Database;

  constructor(dataDir?: string) {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    this.db = new Database(dataDir ? `${dataDir.replace(/\/+$/, "")}/rooms.sqlite` : ":memory:", { create: true, strict: true });
    this.db.run("PRAGMA journal_mode = WAL");
    this.db.run("CREATE TABLE IF NOT EXISTS storage (room TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room, key)) WITHOUT ROWID");
    this.db.run("CREATE TABLE IF NOT EXISTS alarms (room TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  /** The storage port of one room. */
  storage(room: string): StoragePort {
    const db = this.db;
    const commit = this.commit;
    return {
      async get(key) {
        const row = db.query<{ value: string }, [string, string]>("SELECT value FROM storage WHERE room = ? AND key = ?").get(room, key);
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
          params.push(prefix, Buffer.byteLength(prefix), prefix);
        }
        if (start !== undefined) (sql += " AND key >= ?"), params.push(start);
        if (end !== undefined) (sql += " AND key < ?"), params.push(end);
        sql += reverse ? " ORDER BY key DESC" : " ORDER BY key ASC";
        if (limit !== undefined) (sql += " LIMIT ?"), params.push(limit);
        const rows = db.query<{ key: string; value: string }, (string | number)[]>(sql).all(...params);
        return rows.map((row) => [row.key, row.value]);
      },
    };
  }

  /** One transaction: on disk (WAL, synchronous) before it returns, or not at all. */
  private readonly commit = (room: string, puts: [string, string][], deletes: string[]): void => {
    const put = this.db.query("INSERT OR REPLACE INTO storage (room, key, value) VALUES (?, ?, ?)");
    const remove = this.db.query("DELETE FROM storage WHERE room = ? AND key = ?");
    this.db.transaction(() => {
      for (const [key, value] of puts) put.run(room, key, value);
      for (const key of deletes) remove.run(room, key);
    })();
  };

  setAlarm(room: string, at: number): void {
    this.db.query("INSERT OR REPLACE INTO alarms (room, at) VALUES (?, ?)").run(room, at);
  }

  getAlarm(room: string): number | null {
    return this.db.query<{ at: number }, [string]>("SELECT at FROM alarms WHERE room = ?").get(room)?.at ?? null;
  }

  deleteAlarm(room: string): void {
    this.db.query("DELETE FROM alarms WHERE room = ?").run(room);
  }

  alarms(): { room: string; at: number }[] {
    return this.db.query<{ room: string; at: number }, []>("SELECT room, at FROM alarms").all();
  }

  close(): void {
    this.db.close();
  }
}
