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
fs.mkdirSync(path.dirname(file), { recursive: true });

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
console.log(`Database ready: ${file}`);
