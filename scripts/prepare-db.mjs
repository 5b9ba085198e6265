#!/usr/bin/env node
// Applies the committed migrations to the portal's database (DATABASE_URL, default var/data/safekeep.db)
// and switches it to WAL, so the web server and the background process can read and write at once.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const url = process.env.DATABASE_URL ?? "file:./var/data/safekeep.db";
const file = path.resolve(root, url.replace(/^file:/, ""));
// Private from the first byte (password and token hashes, settings): 0600 in a 0700 folder, whatever the
// umask. SQLite gives the -wal and -shm files the database file's mode. lib/db-files.ts checks it at start.
fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
fs.chmodSync(path.dirname(file), 0o700);
fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600));
fs.chmodSync(file, 0o600);

const deploy = spawnSync(process.execPath, [path.join(root, "scripts/prisma.mjs"), "migrate", "deploy"], {
  cwd: root,
  env: { ...process.env, DATABASE_URL: `file:${file}` },
  encoding: "utf8",
});
if (deploy.status !== 0) {
  process.stderr.write(deploy.stdout + deploy.stderr);
  process.exit(deploy.status ?? 1);
}
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.close();
for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
console.log(`Database ready: ${file}`);
