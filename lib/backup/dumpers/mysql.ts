import path from "node:path";
import { openClientSession, queryScalar, runClient } from "@/lib/backup/db-client";
import type { MysqlTarget } from "@/lib/backup/db-url";
import type { DatabaseDumper } from "@/lib/backup/dumpers/types";

/** The mysql client that sits beside the configured mysqldump. */
export function mysqlClientPath(mysqldumpPath: string): string {
  return path.join(path.dirname(mysqldumpPath), "mysql").replace(/^\.\//, "");
}

/**
 * mysqldump in one consistent snapshot (--single-transaction) without locking the site, row by row
 * (--quick), streamed straight into the archive: no dump is ever held in memory or on disk.
 */
export function mysqlDumper(target: MysqlTarget, mysqldumpPath: string): DatabaseDumper {
  return {
    kind: "mysql",
    name: target.database,
    async estimateBytes() {
      const sql = `SELECT COALESCE(SUM(data_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE()`;
      return Number(await queryScalar(mysqlClientPath(mysqldumpPath), target, sql).catch(() => "0")) || 0;
    },
    async dump() {
      const session = await openClientSession(target);
      const run = runClient(
        mysqldumpPath,
        [
          "--single-transaction",
          "--quick",
          "--routines",
          "--triggers",
          "--events",
          "--hex-blob",
          "--no-tablespaces",
          "--default-character-set=utf8mb4",
          "--skip-dump-date",
          target.database,
        ],
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
