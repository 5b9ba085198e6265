import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { logFileName } from "@/lib/backup/jobs/names";
import { redactSecrets } from "@/lib/mail/compose";
import { notifyJobEnded } from "@/lib/mail/notify";
import { jobReport } from "@/lib/backup/jobs/report";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeUser, testRoot } from "./helpers/fixtures";

const SMTP_PASSWORD = "smtp-pw-Quux#42";
const DB_PASSWORD = "db pw/with:odd@chars";

describe("no secret in a mail", () => {
  it("masks URL passwords, password= pairs and known secrets, raw or URL-encoded", () => {
    expect(redactSecrets("postgres://app:hunter22@db:5432/shop")).toBe("postgres://app:********@db:5432/shop");
    expect(redactSecrets("connection to host=db user=app password=hunter22 dbname=shop failed")).toBe(
      "connection to host=db user=app password=******** dbname=shop failed",
    );
    expect(redactSecrets("Access denied (using password: YES)")).toBe("Access denied (using password: YES)");
    expect(redactSecrets(`it was ${SMTP_PASSWORD} and ${encodeURIComponent(DB_PASSWORD)}`, [SMTP_PASSWORD, DB_PASSWORD])).toBe("it was ******** and ********");
  });

  beforeEach(() => freshSite());

  it("a failure mail whose error and log carry the passwords shows neither", async () => {
    const user = await makeUser("admin");
    await configure({
      smtpHost: "",
      smtpPassword: SMTP_PASSWORD,
      databaseUrl: `postgres://app:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:1/shop`,
      backupDir: "var/backup",
      fileRoots: ["site"],
    });
    const settings = await loadSettings();
    const job = await prisma.backup.create({
      data: {
        fileName: "safekeep-20261123-010000-1.zip",
        status: "failed",
        requestedById: user.id,
        error: `pg_dump failed: password authentication failed (tried "${DB_PASSWORD}")`,
        startedAt: new Date(Date.now() - 5000),
        finishedAt: new Date(),
      },
    });
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    fs.writeFileSync(
      path.join(testRoot("var/backup"), logFileName(job.fileName)),
      ["line one", `smtp login with ${SMTP_PASSWORD}`, "the database answered: no", "Failed: see above"].join("\n") + "\n",
    );

    const file = await notifyJobEnded(await jobReport(job, settings), settings);
    expect(file).toMatch(/\.eml$/);
    const raw = fs.readFileSync(file!, "utf8");
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(`Backup FAILED: ${job.fileName}`);
    expect(mail.text).toContain("password authentication failed");
    expect(mail.text).toContain("the database answered: no");
    for (const secret of [SMTP_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD)]) {
      expect(raw).not.toContain(secret);
      expect(mail.text).not.toContain(secret);
      expect(mail.html).not.toContain(secret);
    }
  });
});
