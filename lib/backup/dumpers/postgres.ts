import path from "node:path";
import { openClientSession, queryScalar, runClient } from "@/lib/backup/db-client";
import type { PostgresTarget } from "@/lib/backup/db-url";
import type { DatabaseDumper } from "@/lib/backup/dumpers/types";

export function psqlPath(pgDumpPath: string): string {
  return path.join(path.dirname(pgDumpPath), "psql").replace(/^\.\//, "");
}

/**
 * pg_dump takes a consistent snapshot by itself. Plain SQL without owners or grants restores into the
 * same database under whatever user the portal connects as.
 */
export function postgresDumper(target: PostgresTarget, pgDumpPath: string): DatabaseDumper {
  return {
    kind: "postgres",
    name: target.database,
    async estimateBytes() {
      const size = await queryScalar(psqlPath(pgDumpPath), target, "SELECT pg_database_size(current_database())").catch(() => "0");
      return Number(size) || 0;
    },
    async dump() {
      const session = await openClientSession(target);
      const run = runClient(
        pgDumpPath,
        ["--format=plain", "--no-owner", "--no-privileges", "--encoding=UTF8", `--dbname=${target.database}`],
        session,
        target,
      );
      return {
        entry: `database/${target.database}.sql`,
        stream: run.stdout!,
        finished: run.done,
        cleanup: session.remove,
      };
    },
  };
}
