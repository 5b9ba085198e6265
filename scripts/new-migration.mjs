#!/usr/bin/env node
// Writes prisma/migrations/<timestamp>_<name>/migration.sql for the change between the schema as last
// committed (or --from FILE) and prisma/schema.prisma. (`prisma migrate dev` does not work offline here.)
// Usage: node scripts/new-migration.mjs <name> [--from FILE]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [name, flag, fromArg] = process.argv.slice(2);
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("Usage: node scripts/new-migration.mjs <snake_case_name> [--from FILE]");
  process.exit(2);
}
let from = flag === "--from" ? fromArg : null;
if (!from) {
  from = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "schema-")), "schema.prisma");
  fs.writeFileSync(from, execFileSync("git", ["show", "HEAD:prisma/schema.prisma"]));
}
const sql = execFileSync(
  process.execPath,
  ["scripts/prisma.mjs", "migrate", "diff", "--from-schema-datamodel", from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
);
if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
  console.error("No schema change to migrate.");
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join("prisma/migrations", `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, "migration.sql"), sql);
console.log(`Wrote ${dir}/migration.sql`);
