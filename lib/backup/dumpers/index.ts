import { fromRoot, portalDatabaseFile } from "@/lib/config";
import type { Settings } from "@/lib/settings";
import type { DatabaseDumper } from "@/lib/backup/dumpers/types";
import { sqliteDumper } from "@/lib/backup/dumpers/sqlite";

/** Picks the dumper from the database URL's scheme; an empty URL means the portal's own database. */
export function dumperFor(settings: Settings): DatabaseDumper {
  const url = settings.databaseUrl;
  if (url === "") return sqliteDumper(portalDatabaseFile());
  if (url.startsWith("file:")) return sqliteDumper(fromRoot(url.slice("file:".length)));
  const scheme = url.split(":")[0];
  throw new Error(`Backing up ${scheme} databases is not built yet; use a file: (SQLite) database URL`);
}
