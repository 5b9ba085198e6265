import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// Prisma's native engines cannot be downloaded everywhere; the JS engine and the driver adapter work offline.
const url = process.env.DATABASE_URL ?? "file:./var/data/safekeep.db";
const databaseFile = path.resolve(url.replace(/^file:/, ""));

export default defineConfig({
  schema: "prisma/schema.prisma",
  engine: "js",
  experimental: { adapter: true },
  adapter: async () => new PrismaBetterSQLite3({ url: `file:${databaseFile}` }),
});
