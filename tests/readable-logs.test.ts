import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { defaultSettings, loadSettings } from "@/lib/settings";
import { describeRefused, describeSaved } from "@/lib/settings-summary";
import { clearSiteAndVar, configure, makeSqliteDatabase, testRoot } from "./helpers/fixtures";

function writeTree(root: string, files: number, dirs: number) {
  for (let d = 0; d < dirs; d++) {
    fs.mkdirSync(`${root}/dir-${d}`, { recursive: true });
  }
  for (let f = 0; f < files; f++) fs.writeFileSync(`${root}/dir-${f % dirs}/file-${f}.txt`, "x".repeat(1000 + f));
}

describe("a backup's log, as people read it", () => {
  beforeEach(clearSiteAndVar);

  it("counts files the same way at the start and the end, and gives sizes in units", async () => {
    writeTree(testRoot("site"), 1_234, 5);
    fs.symlinkSync("dir-0/file-0.txt", testRoot("site/a-link"));
    makeSqliteDatabase(testRoot("db/app.db"), 5_000);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });
    const settings = await loadSettings();
    const backup = await runBackup((await enqueueBackup(settings, null)).id, settings);
    expect(backup.status).toBe("completed");

    const log = fs.readFileSync(testRoot("var/backup", backup.fileName.replace(".zip", ".log")), "utf8");
    // 1,234 files; 5 folders, the link and the root's own entries are "folders and links", never files.
    expect(log).toMatch(/Archiving 1,234 files, \d+ folders and links \(\d+(\.\d)? MB\) from 1 file root\n/);
    expect(log).toMatch(/Completed: 1,234 files archived, the archive is [\d.]+ (KB|MB) \([\d,]+ bytes\)/);
    expect(log).toMatch(/Database dump: [\d.]+ (KB|MB) \([\d,]+ bytes\)/);
    expect(log).not.toMatch(/entries|\d{5,} bytes,/);
  });

  it("writes a message of several lines as several log lines, each with its time and level", () => {
    const file = testRoot("var/multi.log");
    fs.mkdirSync(testRoot("var"), { recursive: true });
    openBackupLog(file).error("pg_dump: error: connection failed\nFATAL:  password authentication failed\n\n");
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR (pg_dump|FATAL)/);
  });
});

describe("what the settings page says after a save", () => {
  const before = defaultSettings({} as NodeJS.ProcessEnv);

  it("names each change in words, never by its key, and never shows a secret", () => {
    const saved = {
      ...before,
      enableBackupModule: true,
      compression: "fast" as const,
      smtpPassword: "hunter2-secret",
      databaseUrl: "mysql://app:db-secret@db.example/site",
    };
    const message = describeSaved(["enableBackupModule", "compression", "smtpPassword", "databaseUrl"], saved);
    expect(message).toBe(
      "Saved: backup module switched on, compression: fast, SMTP password changed, database to back up: mysql://app:********@db.example/site",
    );
    expect(message).not.toMatch(/hunter2|db-secret|enableBackupModule|smtpPassword/);
    expect(describeSaved(["backupAccess", "scheduleDaily", "notifyEmails"], { ...before, backupAccess: "user", scheduleDaily: "" })).toBe(
      "Saved: who can manage backups: every signed-in user, daily backup: off, who hears about unattended runs: every admin",
    );
    expect(describeSaved([], before)).toBe("Nothing changed");
  });

  it("names the refused fields the way the form labels them", () => {
    expect(describeRefused(["backupName"])).toBe("One setting is not valid: backup name. Nothing was saved; what you typed is still in the form.");
    expect(describeRefused(["backupName", "maxBackups"])).toContain("2 settings are not valid: backup name, backups to keep.");
  });
});
