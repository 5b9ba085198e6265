import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { backupHealth } from "@/lib/backup/jobs/health";
import { enqueueBackup, enqueueDrill } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, makeUser, testRoot } from "./helpers/fixtures";
import { createMariaDb, createPostgresDb, fillMariaDb, fillPostgresDb, mysqlQuery, pgQuery, type TestDatabase, useFilledDatabase } from "./helpers/databases";
import { snapshotTree } from "./helpers/trees";

async function backUp() {
  const settings = await loadSettings();
  const done = await runJob((await enqueueBackup(settings, null)).id, { settings });
  expect(done.error).toBeNull();
  return done;
}

async function drill(fileName: string) {
  const settings = await loadSettings();
  return runJob((await enqueueDrill(settings, null, fileName)).id, { settings });
}

const drillLog = (job: { fileName: string }) => fs.readFileSync(testRoot("var/backup", `${job.fileName}.log`), "utf8");

describe("restore drills", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    fs.rmSync(testRoot("db"), { recursive: true, force: true });
    makeSqliteDatabase(testRoot("db/app.db"), 1234);
  });

  it("restore the newest backup into scratch places, compare, prove it on the health line, and touch nothing live", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup", smtpHost: "" });
    const backup = await backUp();
    const siteBefore = snapshotTree(testRoot("site"));
    const dbBefore = fs.statSync(testRoot("db/app.db")).mtimeMs;
    expect((await backupHealth(await loadSettings())).provenRestorable).toBeNull();

    const job = await drill(backup.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(drillLog(job)).toMatch(
      /Proven restorable: \d+ files \(.+\), \d+ folders and \d+ links came back, each matching its SHA-256; the database loaded into a scratch copy .*: 1 tables, 1,234 rows/,
    );
    const health = await backupHealth(await loadSettings());
    expect(health.provenRestorable).toMatchObject({ fileName: backup.fileName, drillId: job.id });
    expect(health.failedDrill).toBeNull();
    expect(snapshotTree(testRoot("site"))).toEqual(siteBefore);
    expect(fs.statSync(testRoot("db/app.db")).mtimeMs).toBe(dbBefore);
    expect(fs.existsSync(testRoot("var/drill", String(job.id)))).toBe(false);
  });

  it("backup:drill proves the newest backup from the command line", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup", smtpHost: "" });
    const backup = await backUp();
    const run = spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, "backup:drill", "--json"], { encoding: "utf8", env: process.env });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; backup: string; proof: string };
    expect(result).toMatchObject({ ok: true, backup: backup.fileName });
    expect(result.proof).toMatch(/files .* came back, each matching its SHA-256; the database loaded into a scratch copy/);
  });

  it("run on their schedule, once per slot, from the scheduler", async () => {
    await configure({
      fileRoots: ["site"],
      databaseUrl: "file:db/app.db",
      backupDir: "var/backup",
      smtpHost: "",
      scheduleDaily: "",
      scheduleWeekly: "",
      drillSchedule: "0 3 * * 1",
      scheduleTimezone: "UTC",
    });
    const backup = await backUp();
    const { tick } = await import("@/lib/schedule/runner");
    expect(await tick(new Date("2026-11-30T01:00:00Z"))).toEqual([]); // the first look only starts counting
    const outcomes = await tick(new Date("2026-11-30T03:05:00Z"));
    expect(outcomes).toEqual([expect.objectContaining({ schedule: "drill", result: "completed", detail: `restore drill of ${backup.fileName}` })]);
    expect(await tick(new Date("2026-11-30T03:10:00Z"))).toEqual([]);
    expect((await backupHealth(await loadSettings())).provenRestorable?.fileName).toBe(backup.fileName);
  });

  it("a damaged archive fails its drill, mails the admins, and the health line says so", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup", smtpHost: "" });
    const backup = await backUp();
    const file = testRoot("var/backup", backup.fileName);
    const data = fs.readFileSync(file);
    data[Math.floor(data.length / 2)] ^= 0xff;
    fs.writeFileSync(file, data);
    await makeUser("admin"); // Unattended runs tell the admins.
    const outbox = testRoot("var/mail-outbox");
    fs.rmSync(outbox, { recursive: true, force: true });

    const job = await drill(backup.fileName);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/Restore drill of .* failed: The archive's SHA-256 does not match/);
    expect((await backupHealth(await loadSettings())).failedDrill).toMatchObject({ drillId: job.id });
    const mails = fs.readdirSync(outbox).map((f) => fs.readFileSync(`${outbox}/${f}`, "utf8"));
    expect(mails.some((m) => m.includes("FAILED") && m.includes(job.fileName))).toBe(true);
  });
});

describe.each([
  {
    kind: "MariaDB",
    create: () => {
      const db = createMariaDb();
      // The scratch database sits beside the real one: the site's user may make and drop those only.
      mysqlQuery(`GRANT ALL ON \`safekeep\\_drill\\_%\`.* TO '${db.user}'@'%'; GRANT ALL ON \`safekeep\\_drill\\_%\`.* TO '${db.user}'@'localhost';`);
      return db;
    },
    fill: (db: TestDatabase) => fillMariaDb(db.name, 5_000),
    scratchDatabases: () => mysqlQuery("SHOW DATABASES LIKE 'safekeep\\_drill\\_%'"),
  },
  {
    kind: "PostgreSQL",
    create: () => {
      const db = createPostgresDb();
      pgQuery(`ALTER ROLE ${db.user} CREATEDB`);
      return db;
    },
    fill: (db: TestDatabase) => fillPostgresDb(db.name, db.user, 5_000),
    scratchDatabases: () => pgQuery("SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'safekeep_drill_%'"),
  },
])("restore drills of $kind", ({ create, fill, scratchDatabases }) => {
  const database = useFilledDatabase(create, fill);
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
  });

  it("load the dump into a scratch database beside the real one, count what came back, and drop it", async () => {
    const db = database();
    await configure({ fileRoots: ["site"], databaseUrl: db.url, backupDir: "var/backup", smtpHost: "", drillScratchDatabase: true });
    const backup = await backUp();
    const job = await drill(backup.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(drillLog(job)).toMatch(new RegExp(`the database loaded into .*safekeep_drill_${job.id}.*: [1-9]\\d* tables, [1-9][\\d,]* rows`));
    expect(scratchDatabases().trim()).toBe("");
  });

  it("without leave for a scratch database, check the dump and say it was not loaded", async () => {
    const db = database();
    await configure({ fileRoots: ["site"], databaseUrl: db.url, backupDir: "var/backup", smtpHost: "", drillScratchDatabase: false });
    const backup = await backUp();
    const job = await drill(backup.fileName);
    expect(job.status).toBe("completed");
    expect(drillLog(job)).toMatch(/not loaded: allow a scratch database in Settings/);
  });
});
