import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { verifyWrittenArchive } from "@/lib/backup/jobs/verify-written";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";

describe("verify after write", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"), { bigFiles: 2, bigFileBytes: 3_000_000 });
  });

  it("a backup is completed only after its archive was read back whole, and its log says so", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    const settings = await loadSettings();
    expect(settings.verifyAfterBackup).toBe(true);
    const done = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(done.status).toBe("completed");
    const log = fs.readFileSync(testRoot("var/backup", done.fileName.replace(/\.zip$/, ".log")), "utf8");
    expect(log).toMatch(/Verified: every entry read back matches its SHA-256 \(\d/);
    expect(log.indexOf("Verified")).toBeLessThan(log.indexOf("Completed"));
  });

  it("an archive damaged after writing is refused by the read-back, saying which entry", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", verifyAfterBackup: false, smtpHost: "" });
    const settings = await loadSettings();
    const done = await runJob((await enqueueBackup(settings, null)).id, { settings });
    const file = testRoot("var/backup", done.fileName);
    await expect(verifyWrittenArchive(file, null, () => {})).resolves.toMatchObject({ bytes: expect.any(Number) });
    // One flipped byte in the middle of a stored 3 MB file's data: the zip still opens, the content does not match.
    const data = fs.readFileSync(file);
    const at = data.indexOf(Buffer.from("big/blob-0.bin")) + 200_000;
    data[at] = data[at]! ^ 0xff;
    fs.writeFileSync(file, data);
    await expect(verifyWrittenArchive(file, null, () => {})).rejects.toThrow(/blob-0\.bin|SHA-256|CRC|damaged|invalid/i);
  });
});
