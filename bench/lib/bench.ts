// What every measurement is handed: the settings, the log, and a way to record a failure on a row.
import type { Runtime, Settings } from "./settings.ts";

/** A row of a table: one server of one runtime, with the failures met while measuring it. */
export interface Failing {
  runtime: Runtime;
  variant: string;
  errors: string[];
}

export interface Bench {
  settings: Settings;
  /** A progress line, on stderr. */
  log(line: string): void;
  /** Records `error`, met while doing `what`, on `row`, and logs it. */
  failed(row: Failing, what: string, error: unknown): void;
}

/** A bench whose progress and failures go to stderr. */
export function bench(settings: Settings): Bench {
  const log = (line: string) => void process.stderr.write(line + "\n");
  return {
    settings,
    log,
    failed(row, what, error) {
      row.errors.push(`${what}: ${(error as Error).message.slice(0, 500)}`);
      log(`${row.runtime}/${row.variant}: ${what} FAILED: ${(error as Error).message.slice(0, 500)}`);
    },
  };
}
