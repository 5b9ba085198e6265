#!/usr/bin/env node
// Runs the Prisma CLI offline. Its native engines are looked for at start-up even though the JS engine
// and the driver adapter do the work; where they were not downloaded, any existing file satisfies the check.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const enginesDir = path.dirname(require.resolve("@prisma/engines/package.json"));
const hasNativeEngines = fs.readdirSync(enginesDir).some((f) => f.startsWith("libquery_engine") || f.startsWith("schema-engine"));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (!hasNativeEngines) {
  env.PRISMA_QUERY_ENGINE_LIBRARY ??= process.execPath;
  env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
}
const prismaCli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [prismaCli, ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(result.status ?? 1);
