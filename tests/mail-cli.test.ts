import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { notifyJobEnded } from "@/lib/mail/notify";
import { jobReport } from "@/lib/backup/jobs/report";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from "./helpers/smtp";

// The command line is where the portal's background worker, cron and the scheduler all end up: these run
// the real CLI (dist/cli.mjs) against a real SMTP server, asynchronously so that this process can answer.
const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { env: process.env });

const SMTP_PASSWORD = "cli-smtp-secret-77";
const WATCHERS = ["ops@example.test", "oncall@example.test"];

describe("mails from the command line", () => {
  let smtpServer: TestSmtpServer;
  let received: ReceivedMail[] = [];
  let port = 0;

  beforeAll(async () => {
    process.env.APP_URL = "https://portal.example.test/";
    smtpServer = await startSmtpServer({ user: "mailer", password: SMTP_PASSWORD });
    ({ port, received } = smtpServer);
  });
  afterAll(() => smtpServer.close());
  beforeEach(async () => {
    received.length = 0;
    await freshSite();
    makeFileTree(testRoot("site"));
    await prisma.setting.deleteMany({ where: { key: { startsWith: "scheduleState:" } } });
  });

  const smtp = () => ({ smtpHost: "127.0.0.1", smtpPort: port, smtpSecure: false, smtpUser: "mailer", smtpPassword: SMTP_PASSWORD });

  it("a restore from the command line tells the watchers in the settings, not the admins", async () => {
    const admin = await makeUser("admin");
    await configure({ ...smtp(), notifyEmails: WATCHERS, fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const settings = await loadSettings();
    const source = await runBackup((await enqueueBackup(settings, null)).id, settings);
    expect(source.status).toBe("completed");

    await cli("backup:restore", source.fileName, "--only", "files", "--yes", "--no-safety-backup");
    const restore = await prisma.backup.findFirstOrThrow({ where: { kind: "restore" } });
    expect(restore.status).toBe("completed");
    expect(received).toHaveLength(1);
    const { mail, raw, to } = received[0]!;
    expect(to.sort()).toEqual([...WATCHERS].sort());
    expect(to).not.toContain(admin.email);
    expect(mail.subject).toBe(`Restore completed: ${restore.fileName}`);
    expect(mail.text).toContain(`Restored from: ${source.fileName}`);
    expect(mail.text).toContain(`https://portal.example.test/backups/${restore.id}`);
    expect(raw).not.toContain(SMTP_PASSWORD);
  });

  it("schedule:run --once starts the missed run once, mails it, and does not run it again", async () => {
    await configure({
      ...smtp(),
      notifyEmails: WATCHERS,
      fileRoots: ["site"],
      databaseUrl: "",
      backupDir: "var/backup",
      scheduleDaily: "0 0 * * *",
      scheduleWeekly: "",
      scheduleTimezone: "UTC",
    });
    // The scheduler last looked three days ago: three daily slots were missed while it was down.
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    await prisma.setting.create({ data: { key: "scheduleState:daily", value: JSON.stringify(threeDaysAgo) } });

    const first = await cli("schedule:run", "--once");
    expect(first.stdout).toMatch(/daily backup for \S+: ran, completed/);
    const backups = await prisma.backup.findMany({ where: { kind: "backup" } });
    expect(backups).toHaveLength(1);
    expect(backups[0]!.status).toBe("completed");
    expect(backups[0]!.requestedById).toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0]!.mail.subject).toBe(`Backup completed: ${backups[0]!.fileName}`);
    expect(received[0]!.to.sort()).toEqual([...WATCHERS].sort());

    const second = await cli("schedule:run", "--once");
    expect(second.stdout).not.toMatch(/backup for/);
    expect(second.stdout).toMatch(/nothing due; next backup/);
    expect(await prisma.backup.count({ where: { kind: "backup" } })).toBe(1);
    expect(received).toHaveLength(1);
  });

  it("the outbox folder and its mails are private to the portal's user", async () => {
    const user = await makeUser("user");
    await configure({ smtpHost: "", fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const outbox = testRoot("var/mail-outbox");
    fs.rmSync(outbox, { recursive: true, force: true });
    const settings = await loadSettings();
    const done = await runBackup((await enqueueBackup(settings, user.id)).id, settings);
    const where = await notifyJobEnded(await jobReport(done, settings), settings);
    expect(where).toContain(outbox);
    expect(fs.statSync(outbox).mode & 0o777).toBe(0o700);
    expect(fs.statSync(where!).mode & 0o777).toBe(0o600);
  });
});
