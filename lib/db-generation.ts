import fs from "node:fs";
import Database from "better-sqlite3";
import { portalDatabaseFile } from "@/lib/config";

/**
 * Every request reads the same few records (the signed-in user, the settings, the job a page polls),
 * and through Prisma 6 each read costs about a millisecond of query compiling on the event loop. They
 * change rarely, so they are kept until anyone commits to the database: this process, a worker, the CLI.
 *
 * SQLite tells us that cheaply: `PRAGMA data_version` on a connection changes whenever another connection
 * has committed since it last asked. This connection never writes, so every commit counts, Prisma's own
 * included. The file's inode is part of the answer, so a database file replaced under us is noticed.
 */
interface Watcher {
  file: string;
  ino: number;
  db: Database.Database;
  version: Database.Statement;
}

let watcher: Watcher | null = null;

function openWatcher(file: string, ino: number): Watcher {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  return { file, ino, db, version: db.prepare("PRAGMA data_version").pluck() };
}

/** A string that differs after every commit to the portal's database; null when it cannot be told. */
export function databaseGeneration(): string | null {
  try {
    const file = portalDatabaseFile();
    const { ino } = fs.statSync(file);
    if (!watcher || watcher.file !== file || watcher.ino !== ino) {
      watcher?.db.close();
      watcher = null;
      watcher = openWatcher(file, ino);
    }
    return `${file}:${ino}:${watcher.version.get() as number}`;
  } catch {
    return null;
  }
}

/** However reliable data_version is, nothing is served from memory for longer than this. */
const MAX_AGE_MS = 5_000;
const MAX_ENTRIES = 500;

/**
 * `load` wrapped so that a key's result is read once per database generation. Each caller gets its own
 * copy (callers may change what they are given); errors are not kept.
 */
export function keptUntilChange<K, V>(load: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const kept = new Map<K, { generation: string; at: number; value: Promise<V> }>();
  return async (key) => {
    // Read before loading: a load that overlaps a commit is then kept under the older generation only.
    const generation = databaseGeneration();
    if (generation === null) return load(key);
    const now = Date.now();
    let entry = kept.get(key);
    if (!entry || entry.generation !== generation || now - entry.at > MAX_AGE_MS) {
      if (kept.size >= MAX_ENTRIES) kept.clear();
      const value = load(key);
      entry = { generation, at: now, value };
      kept.set(key, entry);
      value.catch(() => {
        if (kept.get(key) === entry) kept.delete(key);
      });
    }
    return structuredClone(await entry.value);
  };
}
