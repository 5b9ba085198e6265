import fs from "node:fs";
import path from "node:path";

/**
 * The portal's SQLite database holds password hashes, token hashes and settings: only its owner may read
 * it. SQLite gives the -wal and -shm files the database file's own mode, so making the file 0600 before
 * anything opens it covers them; files left looser by an older version, a copy or a restore are tightened
 * here too, at every start (the portal, the CLI and the background process all connect through this).
 * Returns what it had to change, for a warning.
 */
export function securePortalDatabaseFiles(file: string): string[] {
  const changed: string[] = [];
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, changed);
  // Created empty and private if missing: SQLite takes an empty file as an empty database.
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) tighten(f, 0o600, changed);
  return changed;
}

function tighten(p: string, wanted: number, changed: string[]): void {
  let mode: number;
  try {
    mode = fs.lstatSync(p).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  try {
    fs.chmodSync(p, wanted);
    changed.push(`${p} was ${mode.toString(8).padStart(4, "0")}, now ${wanted.toString(8).padStart(4, "0")}`);
  } catch (error) {
    changed.push(`${p} is ${mode.toString(8).padStart(4, "0")} (readable by others) and could not be changed: ${(error as Error).message}`);
  }
}
