import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { prisma } from "@/lib/db";
import { s3Client } from "@/lib/offsite/client";
import { listDestinations, s3Url, type Destination } from "@/lib/offsite/destinations";
import { explainS3Error } from "@/lib/offsite/explain";
import { listRemoteBackups } from "@/lib/offsite/fetch";
import { decideRetention } from "@/lib/offsite/gfs";

const MiB = 1024 * 1024;

export interface PruneItem {
  destinationId: string;
  url: string;
  fileName: string;
  createdAt: string;
  sizeBytes: number;
  reason: string;
}

/** The time in a backup's name (`-YYYYMMDD-HHmmss-id.zip`, UTC); the server's date when the name has none. */
function createdAtOf(fileName: string, fallback: Date | null): Date {
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-\d+\.zip(?:\.age)?$/.exec(fileName);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : (fallback ?? new Date(0));
}

/**
 * What retention would delete next in one destination (dryRun), or deletes it. Candidates are the
 * backups in the bucket, whether or not this portal knows them; those pinned in the portal never are.
 */
export async function pruneDestination(destination: Destination, options: { dryRun: boolean; now?: Date }): Promise<PruneItem[]> {
  const client = s3Client(destination);
  try {
    const remote = await listRemoteBackups(destination, client);
    const pinned = new Set(
      (
        await prisma.backup.findMany({ where: { fileName: { in: remote.map((r) => r.fileName) }, pinned: true }, select: { fileName: true } }).catch(() => [])
      ).map((b) => b.fileName),
    );
    const candidates = remote.filter((r) => !pinned.has(r.fileName)).map((r) => ({ ...r, createdAt: createdAtOf(r.fileName, r.lastModified) }));
    const { remove } = decideRetention(
      candidates,
      { keepLast: destination.keepLast, gfs: destination.gfs, sizeCapBytes: destination.sizeCapMb * MiB },
      options.now,
    );
    const items = remove.map((r) => ({
      destinationId: destination.id,
      url: s3Url(destination, r.fileName),
      fileName: r.fileName,
      createdAt: r.createdAt.toISOString(),
      sizeBytes: r.sizeBytes,
      reason: r.reason,
    }));
    if (options.dryRun) return items;
    for (const r of remove) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: destination.bucket, Key: r.key }));
      } catch (error) {
        throw new Error(explainS3Error(error, destination, "delete old copies"));
      }
      await prisma.offsiteCopy.updateMany({ where: { fileName: r.fileName, destinationId: destination.id }, data: { state: "deleted" } }).catch(() => {});
    }
    return items;
  } finally {
    client.destroy();
  }
}

/** Every destination's next deletions (the settings page's preview, `backup:prune --dry-run`). */
export async function previewPrune(now?: Date): Promise<{ destination: string; items: PruneItem[]; error?: string }[]> {
  const out = [];
  for (const destination of await listDestinations()) {
    try {
      out.push({ destination: destination.id, items: await pruneDestination(destination, { dryRun: true, now }) });
    } catch (error) {
      out.push({ destination: destination.id, items: [], error: (error as Error).message });
    }
  }
  return out;
}
