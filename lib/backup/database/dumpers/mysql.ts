import type { MysqlTarget } from "@/lib/backup/database/url";
import { clientDumper, siblingProgram } from "@/lib/backup/database/dumpers/client-dumper";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";

export function mysqlClientPath(mysqldumpPath: string): string {
  return siblingProgram(mysqldumpPath, "mysql");
}

/**
 * mysqldump in one consistent snapshot (--single-transaction) without locking the site, row by row
 * (--quick), streamed straight into the archive: no dump is ever held in memory or on disk.
 */
export function mysqlDumper(target: MysqlTarget, mysqldumpPath: string): DatabaseDumper {
  return clientDumper({
    target,
    dumpProgram: mysqldumpPath,
    clientProgram: mysqlClientPath(mysqldumpPath),
    sizeQuery: "SELECT COALESCE(SUM(data_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE()",
    dumpArgs: [
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
  });
}
