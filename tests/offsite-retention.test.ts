import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
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
