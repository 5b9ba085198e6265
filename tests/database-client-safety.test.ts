import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cancelBackup } from "@/lib/backup/jobs/cancel";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, testRoot } from "./helpers/fixtures";
import { createMariaDb, mysqlQuery, pgQuery, type TestDatabase } from "./helpers/databases";
import { readBackup, waitFor } from "./helpers/wait";

async function backUp() {
  const settings = await loadSettings();
  return runBackup((await enqueueBackup(settings, null)).id, settings);
}

async function restore(fileName: string) {
  const settings = await loadSettings();
  return runRestore((await enqueueRestore(settings, null, fileName, "database")).id, { safetyBackup: true }, settings);
}

const dumpOf = (archive: string, entry: string) =>
  execFileSync("unzip", ["-p", testRoot("var/backup", archive), entry], { maxBuffer: 64 * 1024 * 1024 }).toString("utf8");

const real = (p: string) => execFileSync("sh", ["-c", `command -v ${p}`], { encoding: "utf8" }).trim();

describe("database names that look like options or connection strings", () => {
  beforeEach(() => freshSite());

  it("a MariaDB database named --version is backed up and restored as a name, never read as an option", async () => {
    const name = "--version";
    mysqlQuery(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\`;
      CREATE TABLE \`${name}\`.kept (id INT PRIMARY KEY, note VARCHAR(50)); INSERT INTO \`${name}\`.kept VALUES (1, 'one'), (2, 'two');`);
    try {
      await configure({ databaseUrl: `mysql://root@127.0.0.1:3306/${encodeURIComponent(name)}`, fileRoots: ["site"], backupDir: "var/backup" });
      const backup = await backUp();
      expect(backup.error).toBeNull();
      const sql = dumpOf(backup.fileName, `database/${name}.sql`);
      expect(sql).toContain("CREATE TABLE `kept`");
      expect(sql).not.toMatch(/^mysqldump\s+Ver/m);

      // (The test's own mysql gets the name through USE, not as an argument.)
      mysqlQuery(`DELETE FROM \`${name}\`.kept WHERE id = 2`);
      const job = await restore(backup.fileName);
      expect(job.error).toBeNull();
      expect(mysqlQuery(`SELECT GROUP_CONCAT(note ORDER BY id) FROM \`${name}\`.kept`)).toBe("one,two");
    } finally {
      mysqlQuery(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  });

  it("a PostgreSQL database named like a connection string (dbname=other) is that database, not the other", async () => {
    const other = `sk_other_${randomBytes(3).toString("hex")}`;
    const tricky = `dbname=${other}`;
    // The test's own psql gets the name quoted inside a connection string, as the portal now does.
    const trickyConn = `dbname='${tricky}'`;
    pgQuery(`CREATE DATABASE ${other}`);
    pgQuery(`CREATE DATABASE "${tricky}"`);
    try {
      pgQuery("CREATE TABLE wrong_one (id int); INSERT INTO wrong_one VALUES (1);", other);
      pgQuery("CREATE TABLE right_one (id int); INSERT INTO right_one VALUES (1), (2);", trickyConn);
      await configure({ databaseUrl: `postgres://postgres@127.0.0.1:5432/${encodeURIComponent(tricky)}`, fileRoots: ["site"], backupDir: "var/backup" });
      const backup = await backUp();
      expect(backup.error).toBeNull();
      const sql = dumpOf(backup.fileName, `database/${tricky}.sql`);
      expect(sql).toContain("CREATE TABLE public.right_one");
      expect(sql).not.toContain("wrong_one");

      pgQuery("DELETE FROM right_one WHERE id = 2", trickyConn);
      const job = await restore(backup.fileName);
      expect(job.error).toBeNull();
      expect(pgQuery("SELECT string_agg(id::text, ',' ORDER BY id) FROM right_one", trickyConn)).toBe("1,2");
      // The other database was neither emptied nor loaded into.
      expect(pgQuery("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'", other)).toBe("wrong_one");
    } finally {
      pgQuery(`DROP DATABASE IF EXISTS ${other} WITH (FORCE)`);
      pgQuery(`DROP DATABASE IF EXISTS "${tricky}" WITH (FORCE)`);
    }
  });

  it("a line break in the URL's user, password or name is refused with a sentence, before any client runs", async () => {
    for (const url of [
      "mysql://root%0Apager%3D%2Fbin%2Fsh@127.0.0.1:3306/test",
      "postgres://postgres:pw%0A*@127.0.0.1:5432/postgres",
      "mysql://root@127.0.0.1:3306/te%0Ast",
    ]) {
      await configure({ databaseUrl: url, fileRoots: ["site"], backupDir: "var/backup" });
      const backup = await backUp();
      expect(backup.status, url).toBe("failed");
      expect(backup.error, url).toMatch(/in the database URL contains a control character \(such as a line break\), which no database client accepts/);
    }
  });
});

describe("database credentials files", () => {
  let db: TestDatabase;
  let fakeBin: string;
  beforeAll(() => {
    db = createMariaDb();
    mysqlQuery("CREATE TABLE t (id INT); INSERT INTO t VALUES (1);", db.name);
    // Clients that note where their credentials file is, and what its and its folder's modes are.
    fakeBin = fs.mkdtempSync(path.join(testRoot(), "fakebin-"));
    fs.symlinkSync(real("mysql"), path.join(fakeBin, "mysql"));
    fs.symlinkSync(real("psql"), path.join(fakeBin, "psql"));
    fs.writeFileSync(
      path.join(fakeBin, "mysqldump"),
      `#!/bin/sh
file="\${1#--defaults-extra-file=}"
printf '%s\\n%s\\n%s\\n' "$file" "$(stat -c %a "$file")" "$(stat -c %a "$(dirname "$file")")" > "${fakeBin}/mysqldump.seen"
exec ${real("mysqldump")} "$@"
`,
      { mode: 0o755 },
    );
    // pg_dump that never finishes: the job is killed or cancelled while it "dumps".
    fs.writeFileSync(
      path.join(fakeBin, "pg_dump"),
      `#!/bin/sh
printf '%s\\n%s\\n%s\\n%s\\n' "$PGPASSFILE" "$(stat -c %a "$PGPASSFILE")" "$(stat -c %a "$(dirname "$PGPASSFILE")")" "$$" > "${fakeBin}/pg_dump.seen.tmp"
mv "${fakeBin}/pg_dump.seen.tmp" "${fakeBin}/pg_dump.seen"
exec sleep 120
`,
      { mode: 0o755 },
    );
  });
  afterAll(() => db?.drop());
  beforeEach(async () => {
    await freshSite();
    fs.rmSync(path.join(fakeBin, "pg_dump.seen"), { force: true });
  });

  const credentialsDir = () => testRoot("var/run/credentials");
  const sharedTmpLeftovers = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("safekeep-cred"));

  it("live in the portal's private var/run/credentials (0600 in 0700), never in the shared temporary folder, and go when the client is done", async () => {
    const before = sharedTmpLeftovers();
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup", mysqldumpPath: path.join(fakeBin, "mysqldump") });
    const backup = await backUp();
    expect(backup.error).toBeNull();
    const [file, fileMode, dirMode] = fs.readFileSync(path.join(fakeBin, "mysqldump.seen"), "utf8").trim().split("\n");
    expect(path.dirname(file!)).toBe(credentialsDir());
    expect([fileMode, dirMode]).toEqual(["600", "700"]);
    expect(fs.existsSync(file!)).toBe(false);
    expect(fs.readdirSync(credentialsDir())).toEqual([]);
    expect(sharedTmpLeftovers()).toEqual(before);
  });

  async function pgDumpRunning() {
    await configure({
      databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres",
      fileRoots: ["site"],
      backupDir: "var/backup",
      pgDumpPath: path.join(fakeBin, "pg_dump"),
      runtimeBinary: process.execPath,
    });
    const settings = await loadSettings();
    const started = await startBackgroundBackup(settings, null);
    const text = await waitFor(
      () => (fs.existsSync(path.join(fakeBin, "pg_dump.seen")) ? fs.readFileSync(path.join(fakeBin, "pg_dump.seen"), "utf8") : ""),
      Boolean,
      30_000,
    );
    const [file, fileMode, dirMode, dumpPid] = text.trim().split("\n");
    expect(path.dirname(file!)).toBe(credentialsDir());
    expect([fileMode, dirMode]).toEqual(["600", "700"]);
    expect(fs.existsSync(file!)).toBe(true);
    const job = await waitFor(readBackup(started.id), (b) => b.pid !== null && b.status === "running", 30_000);
    return { settings, job, file: file!, dumpPid: Number(dumpPid) };
  }

  it("a job killed while pg_dump runs leaves its file; the reaper removes it", async () => {
    const { settings, job, file, dumpPid } = await pgDumpRunning();
    process.kill(job.pid!, "SIGKILL");
    process.kill(dumpPid, "SIGKILL");
    await waitFor(
      () => {
        try {
          process.kill(job.pid!, 0);
          return fs.readFileSync(`/proc/${job.pid}/stat`, "utf8").includes(") Z");
        } catch {
          return true;
        }
      },
      Boolean,
      10_000,
    );
    expect(fs.existsSync(file)).toBe(true);
    await reapStaleJobs(settings);
    expect(fs.existsSync(file)).toBe(false);
    expect((await readBackup(job.id)()).status).toBe("failed");
  });

  it("cancelling while pg_dump runs removes its file", async () => {
    const { settings, job, file, dumpPid } = await pgDumpRunning();
    const cancelled = await cancelBackup(job.id, settings, "test", 1000);
    expect(cancelled.status).toBe("cancelled");
    expect(fs.existsSync(file)).toBe(false);
    try {
      process.kill(dumpPid, "SIGKILL");
    } catch {
      // Stopped with the job's process tree.
    }
  });
});
