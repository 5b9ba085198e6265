import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { fromRoot, portalDatabaseFile } from "@/lib/config";
import type { DatabaseDriver } from "@/lib/backup/database/driver";
import { check } from "@/lib/backup/jobs/check-result";
import { formatBytes } from "@/lib/format";
import { ArchiveRejectedError } from "@/lib/backup/restore/inspect";

/** Pages copied in one step of the online backup: 1 GB at 4 KiB pages, so even a large database takes few steps. */
const MAX_PAGES_PER_STEP = 262_144;
const largeSteps = { progress: ({ totalPages }: { totalPages: number }) => Math.min(totalPages, MAX_PAGES_PER_STEP) };

export type SqliteTarget = { kind: "sqlite"; file: string; isPortal: boolean };

/**
 * Opens a staged copy for reading, turned out of WAL mode first: a database in WAL mode gets `-wal`
 * and `-shm` files beside it whenever it is opened, and a reader alone never removes them.
 */
function openStaged(stagedFile: string): Database.Database {
  const db = new Database(stagedFile, { fileMustExist: true });
  db.pragma("journal_mode = DELETE");
  return db;
}

function integrityProblem(db: Database.Database): string | null {
  const check = db.pragma("integrity_check", { simple: true });
  return check === "ok" ? null : String(check);
}

export const sqliteDriver: DatabaseDriver<"sqlite", SqliteTarget> = {
  kind: "sqlite",
  label: "SQLite",
  schemes: ["file:"],
  ownsEmptyUrl: true,

  parse(url) {
    if (url === "") return { kind: "sqlite", file: portalDatabaseFile(), isPortal: true };
    const file = fromRoot(url.slice("file:".length));
    return { kind: "sqlite", file, isPortal: file === portalDatabaseFile() };
  },

  describe: (target) => target.file,
  isPortal: (target) => target.isPortal,

  /**
   * SQLite's online backup API copies a consistent snapshot page by page while the portal keeps writing,
   * unlike copying the file, which can catch a half-written transaction.
   */
  dumper(target) {
    const databaseFile = target.file;
    const name = path.basename(databaseFile);
    return {
      kind: "sqlite",
      name,
      async estimateBytes() {
        return fs.promises
          .stat(databaseFile)
          .then((s) => s.size)
          .catch(() => 0);
      },
      async dump(workFile) {
        if (!fs.existsSync(databaseFile)) {
          throw new Error(`SQLite database ${databaseFile} does not exist: check the database URL in settings`);
        }
        const source = new Database(databaseFile, { fileMustExist: true, timeout: 10_000 });
        try {
          // Large steps: the backup API starts over whenever another connection writes between two steps,
          // so a busy site writing every few milliseconds would keep a 100-page stepping from ever finishing.
          await source.backup(workFile, largeSteps);
        } finally {
          source.close();
        }
        await fs.promises.chmod(workFile, 0o600);
        return {
          entry: `database/${name.replace(/\.(db|sqlite3?)$/i, "")}.sqlite`,
          stream: fs.createReadStream(workFile),
          finished: Promise.resolve(),
          cleanup: () => fs.promises.rm(workFile, { force: true }),
        };
      },
    };
  },

  async vet(_target, stagedFile) {
    const db = openStaged(stagedFile);
    try {
      const problem = integrityProblem(db);
      if (problem) throw new ArchiveRejectedError(`The database in the backup is damaged (${problem})`);
    } finally {
      db.close();
    }
  },

  /**
   * Copies the restored database into the live file through SQLite's backup API, which takes the proper
   * locks, instead of swapping files under connections that still have the old one open.
   */
  async load(target, stagedFile) {
    const source = openStaged(stagedFile);
    try {
      const problem = integrityProblem(source);
      if (problem) throw new ArchiveRejectedError(`The database in the backup is damaged (${problem})`);
      await source.backup(target.file, largeSteps);
    } finally {
      source.close();
    }
  },

  /** The staged file is a database already: checked and counted where it lies (the drill's scratch folder). */
  async drill(_target, stagedFile) {
    const db = openStaged(stagedFile);
    try {
      const problem = integrityProblem(db);
      if (problem) throw new ArchiveRejectedError(`The database in the backup is damaged (${problem})`);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
        (t) => t.name,
      );
      let rows = 0;
      for (const table of tables) rows += (db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }).n;
      return { tables: tables.length, rows, place: `a scratch copy (${stagedFile})` };
    } finally {
      db.close();
    }
  },

  async checks(target) {
    return [
      await check("Database", async () => {
        await fs.promises.access(target.file);
        const db = new Database(target.file, { readonly: true, fileMustExist: true });
        try {
          db.prepare("SELECT count(*) FROM sqlite_master").get();
        } finally {
          db.close();
        }
        return `SQLite ${target.file} (${formatBytes((await fs.promises.stat(target.file)).size)})`;
      }),
    ];
  },
};
