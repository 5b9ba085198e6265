import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, testRoot } from "./helpers/fixtures";
import { createMariaDb, createPostgresDb, fillMariaDb, fillPostgresDb, type TestDatabase, useFilledDatabase } from "./helpers/databases";

async function backUp() {
  const settings = await loadSettings();
  return runBackup((await enqueueBackup(settings, null)).id, settings);
}

/** Every process's argv on this machine, read the way `ps` does. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
    } catch {
      // The process ended meanwhile.
    }
  }
  return lines;
}

async function backUpWatchingArgv(program: string) {
  const seen: string[] = [];
  let running = true;
  const watcher = (async () => {
    while (running) {
      for (const line of allCommandLines()) if (line.includes(program)) seen.push(line);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const backup = await backUp().finally(() => (running = false));
  await watcher;
  return { backup, seen };
}

const entryText = (archive: string, entry: string) => execFileSync("unzip", ["-p", archive, entry], { maxBuffer: 512 * 1024 * 1024 }).toString("utf8");

describe.each([
  { kind: "MariaDB", program: "mysqldump", create: createMariaDb, fill: (db: TestDatabase) => fillMariaDb(db.name, 200_000) },
  { kind: "PostgreSQL", program: "pg_dump", create: createPostgresDb, fill: (db: TestDatabase) => fillPostgresDb(db.name, db.user, 200_000) },
])("$kind dumper", ({ program, create, fill }) => {
  const database = useFilledDatabase(create, fill);
  let db: TestDatabase;
  beforeEach(async () => {
    db = database();
    await freshSite();
  });

  it("streams a complete dump into the archive, with the password in no process's arguments", async () => {
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup" });
    const { backup, seen } = await backUpWatchingArgv(program);
    expect(backup.error).toBeNull();
    expect(backup.status).toBe("completed");
    expect(seen.length).toBeGreaterThan(0);
    for (const line of seen) {
      expect(line).not.toContain(db.password);
      expect(line).not.toContain(encodeURIComponent(db.password));
    }
    const sql = entryText(testRoot("var/backup", backup.fileName), `database/${db.name}.sql`);
    expect(sql).toMatch(/CREATE TABLE [`"]?(public\.)?posts/);
    expect(sql).toContain("Zoë 🌍");
    expect(sql).toMatch(/posts_audit/);
    expect(sql).toMatch(/post_titles/);
    expect(sql).toContain("Post 199999 🎉");
  });

  it("fails with a clear message for a wrong password", async () => {
    const url = new URL(db.url);
    url.password = "not-the-password";
    await configure({ databaseUrl: url.toString(), fileRoots: ["site"], backupDir: "var/backup" });
    const backup = await backUp();
    // PostgreSQL here trusts loopback connections and accepts any password: only MariaDB can refuse.
    if (program === "mysqldump") {
      expect(backup.status).toBe("failed");
      expect(backup.error).toMatch(/refused the user ".*" or its password: check the user and password in the database URL/);
      expect(backup.error).not.toContain("not-the-password");
    }
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("fails with a clear message when the server cannot be reached", async () => {
    const url = new URL(db.url);
    url.port = "1";
    await configure({ databaseUrl: url.toString(), fileRoots: ["site"], backupDir: "var/backup" });
    const backup = await backUp();
    expect(backup.status).toBe("failed");
    expect(backup.error).toMatch(/Cannot reach the database server at 127\.0\.0\.1:1/);
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".zip") || f.endsWith(".part"))).toEqual([]);
  });

  it("fails with a clear message when the dump program is missing", async () => {
    await configure({
      databaseUrl: db.url,
      fileRoots: ["site"],
      backupDir: "var/backup",
      mysqldumpPath: "/nonexistent/mysqldump",
      pgDumpPath: "/nonexistent/pg_dump",
    });
    const backup = await backUp();
    expect(backup.status).toBe("failed");
    expect(backup.error).toMatch(new RegExp(`${program} was not found \\("/nonexistent/${program}"\\): install it .* or set its path in Settings`));
  });
});
