import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Each test file gets its own portal root and database, so files never see each other's data.
const repoRoot = process.cwd();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-test-"));
process.env.SAFEKEEP_ROOT = root;
process.env.SAFEKEEP_CLI = path.join(repoRoot, "dist/cli.mjs");
process.env.DATABASE_URL = `file:${path.join(root, "portal.db")}`;
process.env.BACKUP_RUNTIME_BINARY = process.execPath;
// Stored secrets are sealed with this (the portal reads it from .env); the workers the tests start inherit it.
process.env.SAFEKEEP_SECRETS_KEY ??= randomBytes(32).toString("base64url");
for (const key of Object.keys(process.env)) {
  if (key.startsWith("BACKUP_") && key !== "BACKUP_RUNTIME_BINARY") delete process.env[key];
}
execFileSync(process.execPath, [path.join(repoRoot, "scripts/prepare-db.mjs")], { stdio: "ignore", env: process.env });
