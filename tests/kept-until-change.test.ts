import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { getJob } from "@/lib/backup";
import { prisma } from "@/lib/db";
import { portalDatabaseFile } from "@/lib/config";
import { loadSettings } from "@/lib/settings";
import { findPortalUser } from "@/lib/users";
import { makeUser } from "./helpers/fixtures";

// The records every request reads are kept in memory until the database changes (lib/db-generation.ts).
// What a user would notice if that went wrong: a change made elsewhere (a worker, the CLI, another
// portal request) that the next request does not see.

/** Runs SQL in another process, as the worker and the CLI do. */
function writeElsewhere(sql: string): void {
  const script = `const db = new (require("better-sqlite3"))(process.argv[1], { timeout: 10000 }); db.exec(process.argv[2]); db.close();`;
  execFileSync(process.execPath, ["-e", script, portalDatabaseFile(), sql], { cwd: process.cwd() });
}

describe("records kept between requests follow every change", () => {
  it("a role changed by another process counts on the next read, and ends the session's version", async () => {
    const user = await makeUser("admin");
    expect((await findPortalUser(user.id))?.role).toBe("admin");
    expect((await findPortalUser(user.id))?.role).toBe("admin");
    writeElsewhere(`UPDATE "User" SET "roleId" = (SELECT id FROM "Role" WHERE name = 'user'), "sessionVersion" = "sessionVersion" + 1 WHERE id = ${user.id}`);
    const after = await findPortalUser(user.id);
    expect(after?.role).toBe("user");
    expect(after?.sessionVersion).toBe(user.sessionVersion + 1);
  });

  it("a user deleted by this process is gone on the next read", async () => {
    const user = await makeUser("user");
    expect(await findPortalUser(user.id)).not.toBeNull();
    await prisma.user.delete({ where: { id: user.id } });
    expect(await findPortalUser(user.id)).toBeNull();
  });

  it("a setting stored by another process counts on the next read", async () => {
    const before = await loadSettings();
    const wanted = before.retentionSizeCapMb === 700 ? 800 : 700;
    writeElsewhere(
      `INSERT INTO "Setting" (key, value, updatedAt) VALUES ('retentionSizeCapMb', '${wanted}', '2026-12-03T12:00:00.000Z') ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    expect((await loadSettings()).retentionSizeCapMb).toBe(wanted);
  });

  it("a job's progress written by its worker shows on the next poll", async () => {
    const job = await prisma.backup.create({ data: { fileName: "safekeep-20261203-120000-001.zip", status: "running", kind: "backup", percent: 10 } });
    expect((await getJob(job.id))?.percent).toBe(10);
    expect((await getJob(job.id))?.percent).toBe(10);
    writeElsewhere(`UPDATE "Backup" SET percent = 55, phase = 'files' WHERE id = ${job.id}`);
    const polled = await getJob(job.id);
    expect(polled?.percent).toBe(55);
    expect(polled?.phase).toBe("files");
    writeElsewhere(`DELETE FROM "Backup" WHERE id = ${job.id}`);
    expect(await getJob(job.id)).toBeNull();
  });

  it("what one caller changes in its copy does not reach the next caller", async () => {
    const user = await makeUser("admin");
    const first = await findPortalUser(user.id);
    first!.role = "user";
    first!.permissions.push("everything");
    const second = await findPortalUser(user.id);
    expect(second?.role).toBe("admin");
    expect(second?.permissions).not.toContain("everything");
  });
});
