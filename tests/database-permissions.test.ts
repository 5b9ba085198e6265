import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { testRoot } from "./helpers/fixtures";

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const repo = process.cwd();

/** Runs a command the way a person would, with the permissive umask most systems have. */
function runWithUmask022(args: string[], databaseFile: string): string {
  return execFileSync("/bin/sh", ["-c", 'umask 022; exec "$@"', "sh", process.execPath, ...args], {
    cwd: repo,
    env: { ...process.env, DATABASE_URL: `file:${databaseFile}` },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("the portal's own database is private", () => {
  it("is created 0600 in a 0700 folder by setup, and so are its -wal and -shm files, whatever the umask", () => {
    const file = testRoot("fresh/var/data/safekeep.db");
    runWithUmask022(["scripts/prepare-db.mjs"], file);
    expect(mode(path.dirname(file)).toString(8)).toBe("700");
    expect(mode(file).toString(8)).toBe("600");
    // A writer in WAL mode, as the portal and the background process are: SQLite makes the -wal and -shm.
    const db = new Database(file);
    const previous = process.umask(0o022);
    try {
      db.prepare(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('k', '"v"', 0)`).run();
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f).toString(8), f).toBe("600");
    } finally {
      db.close();
      process.umask(previous);
    }
  });

  it("loose files and folder from before are made private when a Safekeep process starts, and it says so", () => {
    const file = testRoot("loose/var/data/safekeep.db");
    runWithUmask022(["scripts/prepare-db.mjs"], file);
    const db = new Database(file);
    db.pragma("wal_autocheckpoint = 0");
    db.prepare(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('k', '"v"', 0)`).run();
    // Left 0644 in a 0755 folder, as every earlier version did; kept open so the -wal and -shm stay.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.chmodSync(f, 0o644);
    fs.chmodSync(path.dirname(file), 0o755);
    try {
      const cli = spawnSync(process.execPath, ["dist/cli.mjs", "backup:list"], {
        cwd: repo,
        env: { ...process.env, DATABASE_URL: `file:${file}`, SAFEKEEP_ROOT: testRoot("loose") },
        encoding: "utf8",
      });
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stderr).toMatch(/database must be private: .*safekeep\.db was 0644, now 0600/);
    } finally {
      db.close();
    }
    expect(mode(path.dirname(file)).toString(8)).toBe("700");
    for (const f of [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f))) expect(mode(f).toString(8), f).toBe("600");
  });
});
