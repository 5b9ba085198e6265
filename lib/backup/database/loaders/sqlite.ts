import Database from "better-sqlite3";
import type { SqliteTarget } from "@/lib/backup/database/url";
import { ArchiveRejectedError } from "@/lib/backup/restore/inspect";

/**
 * Copies the restored database into the live file through SQLite's backup API, which takes the proper
 * locks, instead of swapping files under connections that still have the old one open.
 */
export async function loadSqlite(target: SqliteTarget, stagedFile: string): Promise<void> {
  const source = new Database(stagedFile, { readonly: true, fileMustExist: true });
  try {
    const check = source.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new ArchiveRejectedError(`The database in the backup is damaged (${String(check)})`);
    await source.backup(target.file);
  } finally {
    source.close();
  }
}
