import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings, settingsSchema, defaultSettings } from "@/lib/settings";
import { startupProblems } from "@/lib/startup-checks";
import { configure, makeFileTree, resetBackups, testRoot } from "./helpers/fixtures";

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe("backup files are private", () => {
  beforeEach(async () => {
    await resetBackups();
    fs.rmSync(testRoot("var"), { recursive: true, force: true });
  });

  it("archives and logs are 0600 in a 0700 directory, whatever the umask and the directory's earlier mode", async () => {
    makeFileTree(testRoot("site"));
    fs.mkdirSync(testRoot("var/backup"), { recursive: true, mode: 0o777 });
    fs.chmodSync(testRoot("var/backup"), 0o777);
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const settings = await loadSettings();
    const previous = process.umask(0);
    try {
      const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
      expect(done.status).toBe("completed");
      expect(mode(testRoot("var/backup"))).toBe(0o700);
      expect(mode(testRoot("var/backup", done.fileName))).toBe(0o600);
      expect(mode(testRoot("var/backup", done.fileName.replace(/\.zip$/, ".log")))).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });
});

describe("a backup directory inside public/", () => {
  beforeEach(async () => {
    await prisma.setting.deleteMany();
  });

  it("the portal refuses to start with BACKUP_DIR inside public/", async () => {
    expect(await startupProblems({ BACKUP_DIR: "var/backup" })).toEqual([]);
    for (const dir of ["public", "public/backups", "./public/../public/x", testRoot("public/b")]) {
      const problems = await startupProblems({ BACKUP_DIR: dir });
      expect(problems, dir).toHaveLength(1);
      expect(problems[0]).toMatch(/inside public\//);
    }
    expect(await startupProblems({ BACKUP_DIR: "public-backups" })).toEqual([]);
  });

  it("the portal refuses to start with a stored backup directory inside public/", async () => {
    await prisma.setting.create({ data: { key: "backupDir", value: JSON.stringify("public/files") } });
    expect(await startupProblems({})).toEqual([expect.stringMatching(/stored backup directory public\/files is inside public\//)]);
  });

  it("the settings form's validation refuses it", () => {
    const result = settingsSchema.safeParse({ ...defaultSettings({} as NodeJS.ProcessEnv), backupDir: "public/backups" });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/outside public\//);
  });
});
