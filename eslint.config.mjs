import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// app/ reaches the engine through one front door: the rooms behind it can move without touching a page.
const appBoundary = [
  { group: ["@/lib/backup/*", "**/lib/backup/*"], message: "app/ imports the engine only through its front door: @/lib/backup." },
  { group: ["@/lib/db", "@/lib/db/*", "**/lib/db"], message: "app/ does not query the database: ask @/lib/backup (or the module that owns the data)." },
  { group: ["@/generated/*", "**/generated/*", "@prisma/*"], message: "Prisma stays behind the engine: app/ imports @/lib/backup." },
  { group: ["@/lib/mail/*", "**/lib/mail/*"], message: "Mail is sent by the engine's post-job steps: go through @/lib/backup." },
  { group: ["@/lib/schedule/*", "**/lib/schedule/*"], message: "The schedule is the engine's: go through @/lib/backup." },
];

// The engine runs in the CLI, the scheduler and the worker, where there is no Next.js request to lean on.
const engineHasNoNext = [
  {
    group: ["next", "next/*", "react", "react/*", "react-dom", "react-dom/*"],
    message: "lib/ is the engine: no Next.js or React (only lib/auth and lib/http wrap the app's side).",
  },
];

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    rules: {
      // Next sets these two to warn; a warning nobody must fix is noise, so they fail like the rest.
      // `_prev, _form`: a server action's or command's fixed signature names what it does not use with a `_`.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-unused-expressions": "error",
      // `let { status, body, location } = ...` where only some names are reassigned stays one declaration.
      "prefer-const": ["error", { destructuring: "all" }],
    },
  },
  {
    // CommonJS files (e2e/env.cjs, shared by plain node and Playwright): require() is their only import.
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["app/**"],
    rules: { "no-restricted-imports": ["error", { patterns: appBoundary }] },
  },
  {
    files: ["lib/**"],
    ignores: ["lib/auth/**", "lib/http/**"],
    rules: { "no-restricted-imports": ["error", { patterns: engineHasNoNext }] },
  },
  globalIgnores([
    ".next/**",
    "out/**",
    "build/**",
    "next-env.d.ts",
    "generated/**",
    "dist/**",
    "var/**",
    "storage/**",
    "bench/work/**",
    "bench/results/**",
    "test-results/**",
    "playwright-report/**",
    "e2e/.state/**",
    "e2e/.data/**",
  ]),
]);
