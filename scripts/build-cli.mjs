#!/usr/bin/env node
// Bundles the CLI (and the backup engine it shares with the portal) into one ESM file that plain
// `node` runs: the background process, cron and people all start it the same way.
import { build } from "esbuild";

await build({
  entryPoints: ["lib/cli/main.ts"],
  outfile: "dist/cli.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Plain-JS packages are bundled in: resolving and compiling a few hundred separate modules cost the
  // worker ~150 ms at every start. Native addons and Prisma's engine stay outside.
  external: ["@prisma/*", ".prisma/*", "better-sqlite3", "argon2"],
  sourcemap: "linked",
  logLevel: "warning",
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
