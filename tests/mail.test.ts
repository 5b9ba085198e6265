import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { finishJob } from "@/lib/backup/jobs/run-job";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from "./helpers/smtp";

const SMTP_PASSWORD = "smtp-secret-pw-123";
const DB_PASSWORD = "db-secret-pw-456";

describe("notification mails", () => {
  let refuse = false;
  let smtpServer: TestSmtpServer;
  let received: ReceivedMail[] = [];
  let port = 0;

  beforeAll(async () => {
    process.env.APP_URL = "https://backups.example.test";
    smtpServer = await startSmtpServer({ user: "mailer", password: SMTP_PASSWORD }, () => refuse);
    ({ port, received } = smtpServer);
  });
  afterAll(() => smtpServer.close());
  beforeEach(async () => {
    received.length = 0;
    refuse = false;
    await freshSite();
    makeFileTree(testRoot("site"));
  });

  const smtp = () => ({
    smtpHost: "127.0.0.1",
    smtpPort: port,
    smtpSecure: false,
    smtpUser: "mailer",
    smtpPassword: SMTP_PASSWORD,
    mailFrom: "Safekeep <safekeep@example.test>",
  });

  async function backUpAs(userId: number | null) {
    const settings = await loadSettings();
    const done = await runBackup((await enqueueBackup(settings, userId)).id, settings);
    await finishJob(done, settings);
    return done;
  }

  it("tells the requester a backup completed, with a link to it, and no secret", async () => {
    const user = await makeUser("admin");
    await configure({ ...smtp(), fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const done = await backUpAs(user.id);
    expect(done.status).toBe("completed");
    expect(received).toHaveLength(1);
    const { mail, raw, to } = received[0]!;
    expect(to).toEqual([user.email]);
    expect(mail.subject).toBe(`Backup completed: ${done.fileName}`);
    expect(mail.text).toContain(`https://backups.example.test/backups/${done.id}`);
    expect(mail.html).toContain(`href="https://backups.example.test/backups/${done.id}"`);
    expect(mail.text).toContain(done.sha256!);
    expect(raw).not.toContain(SMTP_PASSWORD);
    expect((await prisma.backup.findUniqueOrThrow({ where: { id: done.id } })).mailError).toBeNull();
  });

  it("tells the admins a run nobody asked for failed, with the error and the log, and no password", async () => {
    const admin = await makeUser("admin");
    await configure({
      ...smtp(),
      fileRoots: ["site"],
      backupDir: "var/backup",
      databaseUrl: `mysql://app:${DB_PASSWORD}@127.0.0.1:1/shop`,
    });
    const done = await backUpAs(null);
    expect(done.status).toBe("failed");
    expect(received).toHaveLength(1);
    const { mail, raw, to } = received[0]!;
    expect(to).toContain(admin.email);
    expect(mail.subject).toBe(`Backup FAILED: ${done.fileName}`);
    expect(mail.text).toMatch(/Error: Cannot reach the database server at 127\.0\.0\.1:1/);
    expect(mail.text).toContain("Last lines of the log:");
    expect(mail.text).toContain(`/backups/${done.id}`);
    expect(raw).not.toContain(DB_PASSWORD);
    expect(raw).not.toContain(SMTP_PASSWORD);
  });

  it("a mail that cannot be sent leaves the backup completed and says why on it", async () => {
    refuse = true;
    const user = await makeUser("user");
    await configure({ ...smtp(), fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const done = await backUpAs(user.id);
    const record = await prisma.backup.findUniqueOrThrow({ where: { id: done.id } });
    expect(record.status).toBe("completed");
    expect(record.mailError).toMatch(/The notification mail could not be sent: .*Invalid username or password/);
    expect(record.mailError).not.toContain(SMTP_PASSWORD);
  });

  it("without SMTP, writes the mail to the outbox", async () => {
    const user = await makeUser("admin");
    await configure({ smtpHost: "", fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const outbox = testRoot("var/mail-outbox");
    fs.rmSync(outbox, { recursive: true, force: true });
    const done = await backUpAs(user.id);
    const files = fs.readdirSync(outbox).filter((f) => f.endsWith(".eml"));
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(outbox, files[0]!)).mode & 0o777).toBe(0o600);
    const mail = await simpleParser(fs.readFileSync(path.join(outbox, files[0]!)));
    expect(mail.subject).toBe(`Backup completed: ${done.fileName}`);
    expect((mail.to as { text: string }).text).toBe(user.email);
  });
});
