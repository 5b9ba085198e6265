#!/usr/bin/env node
// Starts the built portal for the browser tests on a fresh database of its own, with two known accounts
// and a site's worth of files to back up. Needs `npm run build` first.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { E2E } from "./env.cjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
fs.rmSync(E2E.dataDir, { recursive: true, force: true });
fs.mkdirSync(E2E.storageDir, { recursive: true });

const env = {
  ...process.env,
  ...E2E.isolatedEnv(E2E.dataDir),
  DATABASE_URL: `file:${E2E.databaseFile}`,
  NEXTAUTH_SECRET: E2E.sessionSecret,
  BACKUP_DIR: E2E.backupDir,
  BACKUP_FILE_ROOTS: E2E.storageDir,
  BACKUP_RUNTIME_BINARY: process.execPath,
};
// No NEXTAUTH_URL or APP_URL: the portal must work on whatever port it is started on (issue 13).
for (const key of [
  "NEXTAUTH_URL",
  "APP_URL",
  "BACKUP_MODULE_ENABLED",
  "BACKUP_ACCESS",
  "BACKUP_DATABASE_URL",
  "BACKUP_EXCLUDE",
  "BACKUP_NAME",
  "BACKUP_DELETE_AFTER_DOWNLOAD",
]) {
  delete env[key];
}

execFileSync(process.execPath, ["scripts/prepare-db.mjs"], { cwd: root, env, stdio: "inherit" });
for (const account of [E2E.admin, E2E.user]) {
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", account.role, "--password-stdin"], {
    cwd: root,
    env,
    input: `${account.password}\n`,
    stdio: ["pipe", "inherit", "inherit"],
  });
}

// Enough data that the progress bar has something to show on its way to 100%.
const write = (rel, data) => {
  const file = path.join(E2E.storageDir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
};
write("uploads/readme.txt", "Files of the site under test\n");
write("uploads/café menu.txt", "crème brûlée\n");
for (let i = 0; i < 12; i++) write(`uploads/media/video-${i}.bin`, randomBytes(6_000_000));
fs.mkdirSync(path.join(E2E.storageDir, "cache/empty"), { recursive: true });

const server = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(E2E.port), "-H", "127.0.0.1"], {
  cwd: root,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));
