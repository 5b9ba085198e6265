import type { DatabaseTarget } from "@/lib/backup/database/url";
import type { Settings } from "@/lib/settings";
import { loadMysql } from "@/lib/backup/database/loaders/mysql";
import { loadPostgres } from "@/lib/backup/database/loaders/postgres";
import { loadSqlite } from "@/lib/backup/database/loaders/sqlite";

/** Replaces the configured database's contents with a staged dump. */
export function loadDatabase(target: DatabaseTarget, stagedFile: string, settings: Settings, onBytes: (n: number) => void): Promise<void> {
  switch (target.kind) {
    case "sqlite":
      return loadSqlite(target, stagedFile);
    case "mysql":
      return loadMysql(target, stagedFile, settings.mysqldumpPath, onBytes);
    case "postgres":
      return loadPostgres(target, stagedFile, settings.pgDumpPath, onBytes);
  }
}
