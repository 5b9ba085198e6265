import type { PostgresTarget } from "@/lib/backup/database/url";
import { clientDumper, siblingProgram } from "@/lib/backup/database/dumpers/client-dumper";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";

export function psqlPath(pgDumpPath: string): string {
  return siblingProgram(pgDumpPath, "psql");
}

/**
 * pg_dump takes a consistent snapshot by itself. Plain SQL without owners or grants restores into the
 * same database under whatever user the portal connects as.
 */
export function postgresDumper(target: PostgresTarget, pgDumpPath: string): DatabaseDumper {
  return clientDumper({
    target,
    dumpProgram: pgDumpPath,
    clientProgram: psqlPath(pgDumpPath),
    sizeQuery: "SELECT pg_database_size(current_database())",
    dumpArgs: ["--format=plain", "--no-owner", "--no-privileges", "--encoding=UTF8", `--dbname=${target.database}`],
  });
}
