import { spawnSync } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { cliEntry } from "@/lib/config";

/**
 * The portal's own database is what a default install backs up, and restoring it must not rewrite the
 * portal's history or who may do what. Before a staged copy of it is loaded, the tables below are
 * replaced in the staged copy by today's: the catalog of backups and jobs, the audit trail (append-only:
 * the restore's own request is in it), the settings (backupAccess among them) and, unless the admin asked
 * for them too, the accounts (users, roles, permissions, API tokens). The staged copy is first brought to
 * today's schema by the committed migrations, so an old backup loads into a database the portal can read.
 */
const HISTORY_TABLES = ["Backup", "OffsiteCopy", "AuditEvent", "Setting"];
const ACCOUNT_TABLES = ["Role", "Permission", "_PermissionToRole", "User", "ApiToken"];

export interface KeepOptions {
  restoreAccounts: boolean;
}

/** The installation's code (where scripts/ and the migrations are), which need not be its data root. */
const codeRoot = () => path.resolve(path.dirname(cliEntry()), "..");

function migrate(file: string): void {
  const result = spawnSync(process.execPath, [path.join(codeRoot(), "scripts/prepare-db.mjs")], {
    cwd: codeRoot(),
    env: { ...process.env, DATABASE_URL: `file:${file}` },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    const said = `${result.stderr}\n${result.stdout}`.split("\n").find((line) => /error/i.test(line)) ?? result.stderr.trim().split("\n")[0];
    throw new Error(`The portal database in the backup could not be brought to this version's schema: ${said}`);
  }
}

function columns(db: Database.Database, schema: string, table: string): string[] {
  return (db.prepare(`SELECT name FROM ${schema}.pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name);
}

export function keepPortalState(stagedFile: string, liveFile: string, options: KeepOptions): string[] {
  migrate(stagedFile);
  const tables = [...HISTORY_TABLES, ...(options.restoreAccounts ? [] : ACCOUNT_TABLES)];
  const db = new Database(stagedFile);
  try {
    db.pragma("foreign_keys = OFF");
    // Only read from: the live database stays as it is until the loader replaces it.
    db.prepare("ATTACH DATABASE ? AS live").run(liveFile);
    db.transaction(() => {
      for (const table of tables) {
        const live = new Set(columns(db, "live", table));
        const shared = columns(db, "main", table)
          .filter((c) => live.has(c))
          .map((c) => `"${c}"`)
          .join(", ");
        db.exec(`DELETE FROM main."${table}"`);
        if (shared) db.exec(`INSERT INTO main."${table}" (${shared}) SELECT ${shared} FROM live."${table}"`);
      }
      // Accounts brought back from the backup must not bring back sessions ended since: every session
      // issued before this restore is ended (a session carries the version it was issued under).
      if (options.restoreAccounts) {
        db.exec(`UPDATE main."User" SET "sessionVersion" = (SELECT coalesce(max("sessionVersion"), 0) FROM live."User") + 1`);
      }
      // With the accounts restored, ids of people may differ: history keeps its emails, drops dangling ids.
      db.exec(`UPDATE main."Backup" SET "requestedById" = NULL WHERE "requestedById" NOT IN (SELECT id FROM main."User")`);
      db.exec(`UPDATE main."AuditEvent" SET "actorId" = NULL WHERE "actorId" NOT IN (SELECT id FROM main."User")`);
      db.exec(`DELETE FROM main."ApiToken" WHERE "userId" NOT IN (SELECT id FROM main."User")`);
    })();
    db.exec("DETACH DATABASE live");
    return tables;
  } finally {
    db.close();
  }
}
