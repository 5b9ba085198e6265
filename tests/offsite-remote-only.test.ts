import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { backupHealth } from "@/lib/backup/jobs/health";
import { enqueueBackup, markFailed } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { s3Client } from "@/lib/offsite/client";
import { saveDestination } from "@/lib/offsite/destinations";
import { REMOTE_NOT_VERIFIED } from "@/lib/offsite/remote-only";
import { RemoteSink } from "@/lib/offsite/remote-sink";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, testRoot, unzipTo } from "./helpers/fixtures";
import { startS3, type TestS3 } from "./helpers/s3";
import { snapshotTree } from "./helpers/trees";

const MiB = 1024 * 1024;
let s3: TestS3;
const disk = testRoot("var");
// A disk smaller than the archive needs a tmpfs, which only root can mount.
const canMount = process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v mount"]).status === 0;
let mounted = false;

beforeAll(async () => {
  s3 = await startS3(["backups"]);
});
afterAll(async () => {
  if (mounted) execFileSync("umount", [disk]);
  await s3?.close();
});

async function objectSha(destination: ReturnType<TestS3["destination"]>, key: string): Promise<{ sha: string; meta?: string }> {
  const client = s3Client(destination);
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: destination.bucket, Key: key }));
    const hash = createHash("sha256");
    await pipeline(got.Body as Readable, hash);
    return { sha: hash.digest("hex"), meta: got.Metadata?.sha256 };
  } finally {
    client.destroy();
  }
}

describe("remote-only sink", () => {
  it("streams parts as they fill with at most inFlight + 1 part buffers, and the object carries its SHA-256", async () => {
    const destination = s3.destination();
    const client = s3Client(destination, { maxAttempts: 1 });
    const sink = new RemoteSink({ client, bucket: "backups", key: "sink/streamed.zip", partSize: 5 * MiB, inFlight: 2 });
    const hash = createHash("sha256");
    // 43 MB in odd-sized chunks, as a zip writer hands them over.
    for (let left = 43 * MiB + 777; left > 0;) {
      const chunk = randomBytes(Math.min(left, 300_001));
      hash.update(chunk);
      await sink.write(chunk);
      left -= chunk.length;
    }
    await sink.close();
    client.destroy();
    expect(sink.buffersAllocated).toBeLessThanOrEqual(3);
    const { sha, meta } = await objectSha(destination, "sink/streamed.zip");
    expect(sha).toBe(hash.digest("hex"));
    expect(meta).toBe(sha);
  });

  it("an aborted sink leaves no object", async () => {
    const destination = s3.destination();
    const client = s3Client(destination, { maxAttempts: 1 });
    const sink = new RemoteSink({ client, bucket: "backups", key: "sink/aborted.zip", partSize: 5 * MiB });
    await sink.write(randomBytes(12 * MiB));
    await sink.abort();
    await expect(client.send(new HeadObjectCommand({ Bucket: "backups", Key: "sink/aborted.zip" }))).rejects.toMatchObject({ name: "NotFound" });
    client.destroy();
  });
});

describe("a remote-only job whose process died", () => {
  it("leaves no copy record behind once the reaper marks it failed (its copy never completed)", async () => {
    const settings = await loadSettings();
    const job = await prisma.backup.create({ data: { fileName: "safekeep-20261202-120000-999.zip", status: "running", kind: "backup" } });
    await prisma.offsiteCopy.create({
      data: { fileName: job.fileName, destinationId: "main", bucket: "backups", key: `site/${job.fileName}`, state: "uploading" },
    });
    await markFailed(job, "The backup process ended without finishing", settings);
    expect(await prisma.offsiteCopy.count({ where: { fileName: job.fileName } })).toBe(0);
  });
});

describe.skipIf(!canMount)("remote-only backup on a disk smaller than the archive (a 20 MB tmpfs)", () => {
  it("without remote-only the backup fails for want of space and the health line warns; with it the archive goes to the bucket and nothing stays here", async () => {
    await freshSite();
    // 40 MB of random bytes: the archive cannot be smaller than that.
    const site = makeFileTree(testRoot("site"), { bigFiles: 4, bigFileBytes: 10 * MiB });
    fs.rmSync(disk, { recursive: true, force: true });
    fs.mkdirSync(disk, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=20m,mode=0700", "tmpfs", disk]);
    mounted = true;
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });

    // A remote-only backup to fix the last backup's size, then an ordinary destination: the disk is too small.
    await saveDestination(s3.destination({ id: "main", prefix: "site/", remoteOnly: true }));
    let settings = await loadSettings();
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(backup.status, backup.error ?? "").toBe("completed");
    expect(backup.sizeBytes!).toBeGreaterThan(40 * MiB);
    // Not read back (it would mean downloading it), and said so: a warning on the job.
    expect(backup.warningCount).toBe(1);
    expect(fs.readFileSync(testRoot("var/backup", backup.fileName.replace(/\.zip$/, ".log")), "utf8")).toContain(REMOTE_NOT_VERIFIED);
    const steps = JSON.parse(backup.steps!) as { name: string; state: string; detail: string }[];
    expect(steps.find((s) => s.name === "offsite")).toMatchObject({ state: "done", detail: expect.stringContaining("written there directly (remote-only)") });
    // Nothing but the log is left here; the copy is stored with the archive's size and SHA-256.
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => !f.endsWith(".log"))).toEqual([]);
    const copy = await prisma.offsiteCopy.findFirstOrThrow({ where: { fileName: backup.fileName } });
    expect(copy).toMatchObject({ state: "stored", sizeBytes: backup.sizeBytes, sha256: backup.sha256, key: `site/${backup.fileName}` });
    const { sha, meta } = await objectSha(s3.destination(), `site/${backup.fileName}`);
    expect([sha, meta]).toEqual([backup.sha256, backup.sha256]);
    expect((await backupHealth(settings)).diskWarning).toBeNull();

    // The bucket's copy is the site, byte for byte.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-remote-only-"));
    try {
      const client = s3Client(s3.destination());
      const got = await client.send(new GetObjectCommand({ Bucket: "backups", Key: `site/${backup.fileName}` }));
      await pipeline(got.Body as Readable, fs.createWriteStream(path.join(work, "a.zip")));
      client.destroy();
      unzipTo(path.join(work, "a.zip"), path.join(work, "out"));
      const restored = snapshotTree(path.join(work, "out", "files", "site"));
      expect(Object.keys(restored).filter((k) => site.has(k)).length).toBe(site.size);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }

    await saveDestination(s3.destination({ id: "main", prefix: "site/", remoteOnly: false }));
    const health = await backupHealth(settings);
    expect(health.diskWarning).toMatch(/^The free disk \(.+\) could not hold the next backup \(the last was .+\)/);
    settings = await loadSettings();
    const local = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(local.status).toBe("failed");
    expect(local.error).toMatch(/The disk is full/);
    // The failed backup left no partial file on the small disk.
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".zip") || f.includes(".part"))).toEqual([]);
  });
});
