import { spawn } from "node:child_process";
import fs from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { applyRetention, planLocalRetention } from "@/lib/backup/jobs/retention";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";
import { s3Client } from "@/lib/offsite/client";
import { listRemoteBackups } from "@/lib/offsite/fetch";
import { decideRetention } from "@/lib/offsite/gfs";
import { pruneDestination } from "@/lib/offsite/prune";
import { startS3, type TestS3 } from "./helpers/s3";

const DAY = 24 * 3600 * 1000;
const now = new Date("2026-12-01T12:00:00Z");
const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
const nameAt = (d: Date, id: number) => `safekeep-${stamp(d)}-${id}.zip`;

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(["backups"]);
});
afterAll(async () => {
  await s3?.close();
});

describe("retention per destination", () => {
  it("grandfather-father-son keeps the last week, then one a day, a week, a month, a year", () => {
    // One backup a day at 00:00 for 3 years.
    const daily = Array.from({ length: 3 * 365 }, (_, i) => {
      const createdAt = new Date(Date.UTC(2026, 11, 1) - i * DAY);
      return { fileName: nameAt(createdAt, 10_000 - i), createdAt, sizeBytes: 1000 };
    });
    const { keep, remove } = decideRetention(daily, { keepLast: 1, gfs: true }, now);
    const ageDays = (c: { createdAt: Date }) => Math.floor((now.getTime() - c.createdAt.getTime()) / DAY);
    const keptAges = new Set(keep.map(ageDays));
    // Everything in the last 7 days and every day of the next 16.
    for (let d = 0; d <= 22; d++) expect(keptAges.has(d), `day ${d}`).toBe(true);
    // Then far fewer: about one a week for 8 weeks, one a month for 4 months, one a year for 2 years.
    const weekly = keep.filter((c) => ageDays(c) > 23 && ageDays(c) <= 23 + 56).length;
    expect(weekly).toBeGreaterThanOrEqual(7);
    expect(weekly).toBeLessThanOrEqual(9);
    expect(keep.length).toBeLessThan(50);
    expect(keep.some((c) => ageDays(c) > 2 * 366 + 23 + 56 + 124)).toBe(false);
    expect(keep.length + remove.length).toBe(daily.length);
    // A size cap removes the oldest of what the ladder kept, never the newest.
    const capped = decideRetention(daily, { keepLast: 1, gfs: true, sizeCapBytes: 10_000 }, now);
    expect(capped.keep.length).toBe(10);
    expect(capped.keep[0]!.fileName).toBe(daily[0]!.fileName);
  });

  it("in a bucket: the preview names exactly what pruning then deletes, and a pinned backup is never a candidate", async () => {
    const destination = s3.destination({ id: "main", prefix: "site/", keepLast: 3, gfs: false });
    const client = s3Client(destination);
    const names = Array.from({ length: 7 }, (_, i) => nameAt(new Date(now.getTime() - i * DAY), 100 - i));
    for (const name of names) {
      await client.send(new PutObjectCommand({ Bucket: "backups", Key: `site/${name}`, Body: Buffer.from(name), Metadata: { sha256: "0".repeat(64) } }));
    }
    // Something else in the bucket is not a backup and is never touched.
    await client.send(new PutObjectCommand({ Bucket: "backups", Key: "site/notes.txt", Body: Buffer.from("keep me") }));
    client.destroy();
    const pinnedName = names[5]!;
    await prisma.backup.create({ data: { fileName: pinnedName, status: "completed", pinned: true, sizeBytes: 1, sha256: "0".repeat(64) } });

    const preview = await pruneDestination(destination, { dryRun: true, now });
    expect(preview.map((p) => p.fileName)).toEqual([names[3], names[4], names[6]]);
    expect(preview[0]).toMatchObject({
      url: `s3://backups/site/${names[3]}`,
      reason: "beyond the newest 3",
      createdAt: new Date(now.getTime() - 3 * DAY).toISOString().replace(/\.\d+Z$/, ".000Z"),
    });
    // The dry run deleted nothing.
    expect((await listRemoteBackups(destination)).length).toBe(7);

    const deleted = await pruneDestination(destination, { dryRun: false, now });
    expect(deleted).toEqual(preview);
    const left = (await listRemoteBackups(destination)).map((r) => r.fileName).sort();
    expect(left).toEqual([names[0], names[1], names[2], pinnedName].sort());
  });
});

/** The CLI in its own process: asynchronous, so the S3 server in this one keeps answering. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("retention on this server", () => {
  it("grandfather-father-son with a size cap: the preview (page and backup:prune --dry-run) is what is then deleted; pinned never; a copy stored offsite keeps its record", async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "", maxBackups: 1, retentionPolicy: "gfs" });
    // Nine real backups, then dated as if made on these days: 0–2 days old (the week kept whole), two on one
    // day 10 days ago (the newer kept), 40 and 45 days ago (one ISO week), 400 days ago (a year), 1200 (beyond).
    const ages = [0, 1, 2, 10, 10.1, 40, 45, 400, 1200];
    const made: Awaited<ReturnType<typeof prisma.backup.update>>[] = [];
    // The pair 10 days ago at noon and 2.4 hours before it (UTC, as the ladder counts days), so the two share a day at any hour the test runs.
    const tenDaysNoon = new Date(Date.now() - 10 * DAY).setUTCHours(12, 0, 0, 0);
    const madeAt = (age: number) => new Date(age === 10 || age === 10.1 ? tenDaysNoon - (age - 10) * DAY : Date.now() - age * DAY);
    for (const age of ages) {
      const settings = await loadSettings();
      const b = await runBackup((await enqueueBackup(settings, null)).id, settings);
      expect(b.status).toBe("completed");
      // Recorded as 1 MB each, so the size cap below is exact whatever the archives weigh.
      made.push(await prisma.backup.update({ where: { id: b.id }, data: { createdAt: madeAt(age), sizeBytes: 1024 * 1024 } }));
    }
    const byAge = (age: number) => made[ages.indexOf(age)]!;
    // Pinned: never a candidate, however old.
    await prisma.backup.update({ where: { id: byAge(1200).id }, data: { pinned: true } });
    // Stored offsite, archive here: pruned here, the record stays for its copy.
    await prisma.offsiteCopy.create({
      data: { fileName: byAge(10.1).fileName, destinationId: "main", bucket: "backups", key: `site/${byAge(10.1).fileName}`, state: "stored" },
    });
    // Stored offsite, archive already gone here: that destination's to prune, not this server's.
    await prisma.offsiteCopy.create({
      data: { fileName: byAge(45).fileName, destinationId: "main", bucket: "backups", key: `site/${byAge(45).fileName}`, state: "stored" },
    });
    fs.rmSync(testRoot("var/backup", byAge(45).fileName));

    const settings = await loadSettings();
    const preview = (await planLocalRetention(settings)).map((p) => p.item);
    // 10 days: the newer of the day is kept, the older is not; 40 is the newest of its week; 400 the newest of its year.
    expect(preview.map((i) => i.fileName).sort()).toEqual([byAge(10.1).fileName].sort());
    expect(preview[0]!.reason).toMatch(/outside the grandfather-father-son ladder; the copy at s3:\/\/backups\/site\/.* stays/);

    // A size cap of 3 MB: the oldest of what the ladder kept go until three remain, never the pinned one.
    await configure({ retentionSizeCapMb: 3 });
    const capped = await loadSettings();
    const plan = (await planLocalRetention(capped)).map((p) => p.item);
    expect(plan.map((i) => [i.fileName, i.reason])).toEqual([
      [byAge(10.1).fileName, expect.stringMatching(/^outside the grandfather-father-son ladder; the copy at s3:\/\/backups\/site\/.* stays$/)],
      [byAge(400).fileName, "over the size cap"],
      [byAge(40).fileName, "over the size cap"],
      [byAge(10).fileName, "over the size cap"],
    ]);

    const dry = await cli(["backup:prune", "--dry-run", "--local", "--json"]);
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual(JSON.parse(JSON.stringify(plan)));
    const text = await cli(["backup:prune", "--dry-run", "--local"]);
    expect(text.stdout).toContain(`This server (var/backup): would delete ${plan.length}`);
    // The dry runs deleted nothing.
    expect(await prisma.backup.count({ where: { kind: "backup" } })).toBe(9);

    const deleted = await applyRetention(capped);
    expect(deleted.sort()).toEqual(plan.map((i) => i.fileName).sort());
    const onDisk = fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".zip"));
    for (const name of deleted) expect(onDisk).not.toContain(name);
    expect(onDisk).toContain(byAge(1200).fileName);
    // The backup whose copy is stored offsite lost only its local archive.
    expect(await prisma.backup.findUnique({ where: { fileName: byAge(10.1).fileName } })).not.toBeNull();
    expect(await prisma.backup.findUnique({ where: { fileName: byAge(45).fileName } })).not.toBeNull();
    expect((await planLocalRetention(capped)).length).toBe(0);

    // Once that destination prunes the copy too, nothing is left anywhere: the record goes with the next run.
    await prisma.offsiteCopy.updateMany({ where: { fileName: byAge(10.1).fileName }, data: { state: "deleted" } });
    const next = (await planLocalRetention(capped)).map((p) => p.item);
    expect(next.map((i) => [i.fileName, i.reason])).toEqual([[byAge(10.1).fileName, "no copy is left here or offsite"]]);
    expect(await applyRetention(capped)).toEqual([byAge(10.1).fileName]);
    expect(await prisma.backup.findUnique({ where: { fileName: byAge(10.1).fileName } })).toBeNull();
  });
});
