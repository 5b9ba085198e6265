#!/usr/bin/env node
// One-time (and repeatable) set-up of a portal on this machine: secrets, database, first admin, build.
// Safe to run again: it keeps what exists. `--no-build` skips `next build`.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

function run(label, command, args) {
  console.log(`\n> ${label}`);
  const result = spawnSync(command, args, { stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error(`\nSet-up failed at: ${label}`);
    process.exit(result.status ?? 1);
  }
}

// Secrets live in .env (mode 0600), never in the repository.
const envFile = path.join(root, ".env");
const existing = fs.existsSync(envFile) ? fs.readFileSync(envFile, "utf8") : "";
const additions = [];
if (!/^NEXTAUTH_SECRET=/m.test(existing) && !process.env.NEXTAUTH_SECRET) {
  additions.push(`NEXTAUTH_SECRET=${randomBytes(32).toString("base64url")}`);
}
// The key that seals stored secrets (SMTP, database and S3 passwords): keep a copy of .env for disaster recovery.
if (!/^SAFEKEEP_SECRETS_KEY=/m.test(existing) && !process.env.SAFEKEEP_SECRETS_KEY) {
  additions.push(`SAFEKEEP_SECRETS_KEY=${randomBytes(32).toString("base64url")}`);
}
// No NEXTAUTH_URL: the portal uses the address each request came to, so any port works (APP_URL, when
// set, is the public address). An earlier set-up wrote this line, which broke every other port: drop it.
const WRITTEN_BEFORE = /^NEXTAUTH_URL=http:\/\/localhost:3000\r?\n?/m;
const kept = existing.replace(WRITTEN_BEFORE, "");
if (kept !== existing)
  console.log("Removed NEXTAUTH_URL=http://localhost:3000 from .env (the portal now works on any port; set APP_URL for the public address)");
if (additions.length || kept !== existing) {
  const body = kept + (additions.length ? (kept && !kept.endsWith("\n") ? "\n" : "") + additions.join("\n") + "\n" : "");
  fs.writeFileSync(envFile, body, { mode: 0o600 });
  if (additions.length) console.log(`Wrote ${additions.map((a) => a.split("=")[0]).join(", ")} to .env`);
}
process.loadEnvFile(envFile);
fs.mkdirSync(path.join(root, "storage"), { recursive: true });

run("Generate the Prisma client", process.execPath, ["scripts/prisma.mjs", "generate"]);
run("Apply database migrations", process.execPath, ["scripts/prepare-db.mjs"]);
run("Build the command-line tool", process.execPath, ["scripts/build-cli.mjs"]);
run("Make sure there is an admin", process.execPath, ["dist/cli.mjs", "admin:ensure"]);
if (!process.argv.includes("--no-build")) {
  run("Build the portal", process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"]);
}
console.log("\nSet-up done. Start the portal with: npm start  (http://localhost:3000; another port: PORT=8080 npm start)");
