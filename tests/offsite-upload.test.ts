import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { getJob, listJobs } from "@/lib/backup";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { s3Client } from "@/lib/offsite/client";
import { saveDestination } from "@/lib/offsite/destinations";
import { uploadFile, type UploadState } from "@/lib/offsite/multipart";
import { pushBackupById } from "@/lib/offsite/push";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";
import { deadPort, startCuttingProxy, startS3, type CuttingProxy, type TestS3 } from "./helpers/s3";

const MiB = 1024 * 1024;
let s3: TestS3;
let proxy: CuttingProxy;
let work: string;
let big: string;
let bigSha = "";

/** Random bytes (nothing compresses or dedupes them), written in 1 MiB slices. */
function writeRandomFile(file: string, bytes: number): string {
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "w");
  for (let left = bytes; left > 0; left -= MiB) {
    const chunk = randomBytes(Math.min(MiB, left));
    hash.update(chunk);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  return hash.digest("hex");
}

async function downloadedSha(destination: ReturnType<TestS3["destination"]>, key: string): Promise<string> {
  const client = s3Client(destination);
  const got = await client.send(new GetObjectCommand({ Bucket: destination.bucket, Key: key }));
  const hash = createHash("sha256");
  await pipeline(got.Body as Readable, hash);
  client.destroy();
  return hash.digest("hex");
}

beforeAll(async () => {
  s3 = await startS3(["backups"]);
  proxy = await startCuttingProxy(s3.port);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-offsite-"));
  big = path.join(work, "big.zip");
  bigSha = writeRandomFile(big, 110 * MiB + 12_345);
});
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("offsite upload", () => {
  it("a 110 MB archive goes up in parallel parts, carries its SHA-256, and comes back byte-identical", async () => {
    const destination = s3.destination();
    const states: (UploadState | null)[] = [];
    const outcome = await uploadFile({
      client: s3Client(destination, { maxAttempts: 1 }),
      bucket: "backups",
      key: "whole/big.zip",
      file: big,
      sha256: bigSha,
      resume: null,
      saveState: async (s) => void states.push(s && structuredClone(s)),
    });
    expect(outcome.size).toBe(110 * MiB + 12_345);
    // 8 MiB parts: 14 of them, each confirmed and saved as it landed, the state cleared at the end.
    expect(states.filter(Boolean).at(-1)!.parts).toHaveLength(14);
    expect(states.at(-1)).toBeNull();
    expect(await downloadedSha(destination, "whole/big.zip")).toBe(bigSha);
  });

  it("a connection cut part-way fails the upload; the next attempt resumes with the parts already stored", async () => {
    const destination = s3.destination({ endpoint: `http://127.0.0.1:${proxy.port}` });
    let saved: UploadState | null = null;
    const attempt = (resume: UploadState | null) =>
      uploadFile({
        client: s3Client(destination, { maxAttempts: 1 }),
        bucket: "backups",
        key: "resumed/big.zip",
        file: big,
        sha256: bigSha,
        resume,
        saveState: async (s) => {
          saved = s && structuredClone(s);
        },
        concurrency: 2,
        attempts: 2,
        backoffMs: 20,
      });
    proxy.resetCount();
    proxy.cutAfter(60 * MiB);
    await expect(attempt(null)).rejects.toThrow();
    const afterCut = saved as UploadState | null;
    expect(afterCut!.parts.length).toBeGreaterThanOrEqual(4);

    proxy.heal();
    // A failed attempt is over when it says so: no other part of it goes on retrying through the healed
    // network, nor changes the saved state the next attempt starts from.
    const sentAtFailure = proxy.sentBytes();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(proxy.sentBytes()).toBe(sentAtFailure);
    expect(saved).toEqual(afterCut);
    proxy.resetCount();
    const outcome = await attempt(afterCut);
    expect(outcome.resumedParts).toBe(afterCut!.parts.length);
    const size = 110 * MiB + 12_345;
    // Only the parts the server did not hold went again: well under the whole archive.
    expect(proxy.sentBytes()).toBeLessThan(size - afterCut!.parts.length * 8 * MiB + 4 * MiB);
    expect(proxy.sentBytes()).toBeLessThan(size * 0.7);
    expect(await downloadedSha(s3.destination(), "resumed/big.zip")).toBe(bigSha);
  });
});

describe("offsite copy as a post-job step", () => {
  beforeEach(async () => {
    await freshSite();
    await prisma.offsiteCopy.deleteMany();
    makeFileTree(testRoot("site"));
  });

  async function backupNow() {
    const settings = await loadSettings();
    const job = await enqueueBackup(settings, null);
    return runJob(job.id, { settings });
  }

  it("a completed backup is copied to the destination; the log, the step and the list say where", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    await saveDestination(s3.destination({ id: "main", prefix: "prod/" }));
    const ended = await backupNow();
    const view = (await getJob(ended.id))!;
    expect(view.status).toBe("completed");
    const step = view.steps.find((s) => s.name === "offsite")!;
    expect(step).toMatchObject({ state: "done" });
    expect(step.detail).toContain(`s3://backups/prod/${ended.fileName}`);
    expect(view.steps.map((s) => s.name)).toEqual(["retention", "offsite", "notify"]);
    expect(view.offsite).toMatchObject({
      state: "stored",
      label: null,
      copies: [{ destinationId: "main", state: "stored", url: `s3://backups/prod/${ended.fileName}` }],
    });
    expect(fs.readFileSync(testRoot("var/backup", ended.fileName.replace(/\.zip$/, ".log")), "utf8")).toContain(
      `Copied to s3://backups/prod/${ended.fileName}`,
    );
    expect(await downloadedSha(s3.destination(), `prod/${ended.fileName}`)).toBe(ended.sha256);
  });

  it("a restore whose local archive is gone fetches the copy from the bucket, checked, and restores it", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    await saveDestination(s3.destination({ id: "main", prefix: "prod/" }));
    const ended = await backupNow();
    const original = fs.readFileSync(testRoot("site/index.html"));
    fs.writeFileSync(testRoot("site/index.html"), "changed after the backup");
    fs.rmSync(testRoot("var/backup", ended.fileName));
    fs.rmSync(testRoot("var/backup", `${ended.fileName}.sha256`));
    const settings = await loadSettings();
    const restore = await runJob((await enqueueRestore(settings, null, ended.fileName, "files")).id, { settings });
    expect(restore.error).toBeNull();
    expect(restore.status).toBe("completed");
    expect(fs.readFileSync(testRoot("site/index.html"))).toEqual(original);
    expect(fs.existsSync(testRoot("var/backup", ended.fileName))).toBe(true);
    expect(fs.readFileSync(testRoot("var/backup", restore.fileName + ".log"), "utf8")).toContain(
      `fetched from s3://backups/prod/${ended.fileName}, SHA-256 checked`,
    );
  });

  it("an unreachable destination leaves the backup completed with 'offsite copy failed' on the list and the job; a push later copies it", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const port = await deadPort();
    await saveDestination(s3.destination({ id: "main", endpoint: `http://127.0.0.1:${port}` }));
    const ended = await backupNow();
    expect(ended.status).toBe("completed");
    const view = (await getJob(ended.id))!;
    const step = view.steps.find((s) => s.name === "offsite")!;
    expect(step.state).toBe("failed");
    expect(step.detail).toMatch(/Offsite copy failed for s3:\/\/backups\/.*Cannot reach http:\/\/127\.0\.0\.1:\d+: the connection was refused/);
    const listed = (await listJobs(1)).items.find((j) => j.id === ended.id)!;
    expect(listed.statusLabel).toBe("completed");
    expect(listed.offsite).toMatchObject({ state: "failed", label: "offsite copy failed" });

    await saveDestination(s3.destination({ id: "main" }));
    const report = await pushBackupById(ended.id, await loadSettings());
    expect(report.failed).toBe(0);
    expect((await getJob(ended.id))!.offsite).toMatchObject({ state: "stored", label: null });
  });
});
