import type { Settings } from "@/lib/settings";
import { parseDatabaseUrl } from "@/lib/backup/database/url";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";
import { mysqlDumper } from "@/lib/backup/database/dumpers/mysql";
import { postgresDumper } from "@/lib/backup/database/dumpers/postgres";
import { sqliteDumper } from "@/lib/backup/database/dumpers/sqlite";

/** Picks the dumper from the database URL's scheme; an empty URL means the portal's own database. */
export function dumperFor(settings: Settings): DatabaseDumper {
  const target = parseDatabaseUrl(settings.databaseUrl);
  switch (target.kind) {
    case "sqlite":
      return sqliteDumper(target.file);
    case "mysql":
      return mysqlDumper(target, settings.mysqldumpPath);
    case "postgres":
      return postgresDumper(target, settings.pgDumpPath);
  }
}
