import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { createApiToken, revokeApiToken } from "@/lib/auth/tokens";
import { requestRestore, type Caller } from "@/lib/backup";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { loadSettings } from "@/lib/settings";
import { findPortalUser } from "@/lib/users";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";

async function backUp() {
  const settings = await loadSettings();
  const done = await runJob((await enqueueBackup(settings, null)).id, { settings });
  expect(done.status).toBe("completed");
  return done;
}

async function restorePortalDatabase(fileName: string, requestedById: number, restoreAccounts = false) {
  const settings = await loadSettings();
  const job = await enqueueRestore(settings, requestedById, fileName, "database", { restoreAccounts });
  return runJob(job.id, { settings });
}

describe("restoring the portal's own database", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
  });

  it("keeps today's list of backups, audit trail, settings and accounts, and records who restored", async () => {
    const admin = await makeUser("admin");
    const once = await makeUser("admin");
    const token = await createApiToken(once.id, "nightly copy");
    const old = await backUp();
    const deleted = await backUp();

    // What happens after the backup: a backup deleted, a token revoked, a person demoted, events audited.
    await deleteBackup(deleted, await loadSettings());
    await revokeApiToken(once.id, token.id);
    const userRole = await prisma.role.findUniqueOrThrow({ where: { name: "user" } });
    await prisma.user.update({ where: { id: once.id }, data: { roleId: userRole.id } });
    await recordAudit({ id: admin.id, email: admin.email }, "settings.update", "after-the-backup");
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "", backupAccess: "admin", maxBackups: 7 });

    const job = await restorePortalDatabase(old.fileName, admin.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");

    expect(await prisma.backup.findUnique({ where: { fileName: deleted.fileName } })).toBeNull();
    expect(fs.existsSync(testRoot("var/backup", deleted.fileName))).toBe(false);
    expect(await prisma.auditEvent.findFirst({ where: { target: "after-the-backup" } })).not.toBeNull();
    expect((await prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } })).revokedAt).not.toBeNull();
    expect((await findPortalUser(once.id))!.role).toBe("user");
    expect((await loadSettings()).maxBackups).toBe(7);
    const record = await prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
    expect(record.requestedById).toBe(admin.id);
    expect(record.status).toBe("completed");
    // The durations and states of older jobs are today's, not the backup's.
    expect((await prisma.backup.findUniqueOrThrow({ where: { id: old.id } })).finishedAt).toEqual(old.finishedAt);
  });

  it("brings back the backup's accounts only when the admin asks for them", async () => {
    const admin = await makeUser("admin");
    const once = await makeUser("admin");
    const old = await backUp();
    const userRole = await prisma.role.findUniqueOrThrow({ where: { name: "user" } });
    await prisma.user.update({ where: { id: once.id }, data: { roleId: userRole.id } });

    const job = await restorePortalDatabase(old.fileName, admin.id, true);
    expect(job.status).toBe("completed");
    expect((await findPortalUser(once.id))!.role).toBe("admin");
    expect(await prisma.backup.findUnique({ where: { id: job.id } })).not.toBeNull();
  });

  it("is for admins only, even when every user may manage backups", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "", backupAccess: "user" });
    const plain = await makeUser("user");
    const old = await backUp();
    const caller: Caller = {
      user: (await findPortalUser(plain.id))!,
      actor: { id: plain.id, email: plain.email },
      settings: await loadSettings(),
    };
    await expect(
      requestRestore({ fileName: old.fileName, confirm: old.fileName, restoreAccounts: false, allowUnencrypted: false }, caller),
    ).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/administrators/),
    });
    expect(await prisma.backup.count({ where: { kind: "restore" } })).toBe(0);
  });
});
