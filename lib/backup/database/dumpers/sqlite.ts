import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";

/**
 * SQLite's online backup API copies a consistent snapshot page by page while the portal keeps writing,
 * unlike copying the file, which can catch a half-written transaction.
 */
export function sqliteDumper(databaseFile: string): DatabaseDumper {
  const name = path.basename(databaseFile);
  return {
    kind: "sqlite",
    name,
    async estimateBytes() {
      return fs.promises.stat(databaseFile).then((s) => s.size).catch(() => 0);
    },
    async dump(workFile) {
      if (!fs.existsSync(databaseFile)) {
        throw new Error(`SQLite database ${databaseFile} does not exist: check the database URL in settings`);
      }
      const source = new Database(databaseFile, { fileMustExist: true, timeout: 10_000 });
      try {
        await source.backup(workFile);
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
}
