import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { previewRestore, requestRestore } from "@/lib/backup/requests/request-restore";
import { saveDestination } from "@/lib/offsite/destinations";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startS3, type TestS3 } from "./helpers/s3";
import { snapshotTree } from "./helpers/trees";
import { waitFor } from "./helpers/wait";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(["copies"]);
});
afterAll(async () => {
  await s3?.close();
});

describe("the portal's restore of a backup whose local archive is gone", () => {
  it("the confirmation says the copy comes from the bucket, and the restore fetches it, checks it and brings the files back", async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    await saveDestination(s3.destination({ id: "copies", prefix: "p/" }));
    const settings = await loadSettings();
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(backup.status).toBe("completed");
    const site = snapshotTree(testRoot("site"));
    fs.rmSync(testRoot("var/backup", backup.fileName));
    fs.writeFileSync(testRoot("site/index.html"), "changed after the backup");

    const preview = await previewRestore(backup, settings);
    expect(preview).toMatchObject({ ok: "remote", problem: expect.stringContaining(`s3://copies/p/${backup.fileName}`) });

    const admin = await makeUser("admin");
    const caller = { user: admin, actor: { id: admin.id, email: admin.email }, settings };
    const job = await requestRestore(
      { fileName: backup.fileName, confirm: backup.fileName, parts: "files", restoreAccounts: false, allowUnencrypted: false },
      caller,
    );
    const ended = await waitFor(
      () => prisma.backup.findUniqueOrThrow({ where: { id: job.id } }),
      (b) => b.status === "completed" || b.status === "failed",
      120_000,
    );
    expect(ended.error).toBeNull();
    expect(snapshotTree(testRoot("site"))).toEqual(site);
    expect(fs.existsSync(testRoot("var/backup", backup.fileName))).toBe(true);
  });

  it("without a local archive or an offsite copy, the confirmation says so", async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const settings = await loadSettings();
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    fs.rmSync(testRoot("var/backup", backup.fileName));
    expect(await previewRestore(backup, settings)).toMatchObject({ ok: false, problem: expect.stringMatching(/missing.*no offsite copy/) });
  });
});
