import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { prisma } from "@/lib/db";
import type { ArchiveSink } from "@/lib/backup/archive/archive-sink";
import { s3Client } from "@/lib/offsite/client";
import { copyRecord, markCopy } from "@/lib/offsite/copies";
import { listDestinations, objectKey, s3Url, type Destination } from "@/lib/offsite/destinations";
import { RemoteSink } from "@/lib/offsite/remote-sink";

const MiB = 1024 * 1024;

export const REMOTE_NOT_VERIFIED =
  "Not read back after writing: the archive is only in the bucket, and reading it back would download it whole. The bucket's copy was checked for its size, each part for its MD5 on arrival.";
/**
 * Smaller than an upload from a file (8 MB × 4): here the parts are the backup process's memory, on top of
 * the archive writer's own (bench: a whole remote-only backup's peak RSS). S3's minimum part, 3 in flight.
 */
const IN_FLIGHT = 3;
const MIN_PART = 5 * MiB;
/** S3 allows 10,000 parts; 9,000 leaves room for the archive being a little larger than its data. */
const MAX_PARTS = 9_000;

/** The destination remote-only backups stream to: the first one marked so (`BACKUP_S3_REMOTE_ONLY` for the environment's). */
export async function remoteOnlyDestination(): Promise<Destination | null> {
  return (await listDestinations()).find((d) => d.remoteOnly) ?? null;
}

export interface RemoteOnlyTarget {
  destination: Destination;
  url: string;
  /** What the log says about memory: (parts in flight + the one filling) × part size. */
  memory: string;
  sink(): ArchiveSink;
  /** The sink in use, once made (its counters are read by tests and the bench). */
  current: RemoteSink | null;
  /** After the job: a failed one leaves neither an object nor a copy record behind. */
  finish(completed: boolean): Promise<void>;
}

/**
 * Remote-only mode for one backup: its copy record starts as "uploading", and the archive's bytes go to
 * the bucket through a RemoteSink as they are written. Parts are sized for `inputBytes` (the data to
 * back up; the archive is no larger than that plus a little), at least 5 MB, so that S3's 10,000 parts
 * cover it. Null when no destination is remote-only.
 */
export async function openRemoteOnly(fileName: string, inputBytes: number): Promise<RemoteOnlyTarget | null> {
  const destination = await remoteOnlyDestination();
  if (!destination) return null;
  const key = objectKey(destination, fileName);
  const record = await copyRecord(fileName, destination);
  await markCopy(record.id, { state: "uploading", error: null, upload: null, bucket: destination.bucket, key });
  const client = s3Client(destination, { maxAttempts: 1 });
  const partSize = Math.max(MIN_PART, Math.ceil((inputBytes * 1.1 + 64 * MiB) / MAX_PARTS / MiB) * MiB);
  const target: RemoteOnlyTarget = {
    destination,
    url: s3Url(destination, fileName),
    memory: `at most ${IN_FLIGHT + 1} parts of ${partSize / MiB} MB in memory`,
    current: null,
    sink() {
      target.current = new RemoteSink({
        client,
        bucket: destination.bucket,
        key,
        partSize,
        inFlight: IN_FLIGHT,
        onStored: ({ size, sha256 }) => markCopy(record.id, { state: "stored", sizeBytes: size, sha256, error: null }),
      });
      return target.current;
    },
    async finish(completed) {
      try {
        // A job that failed after its archive was stored (cancelled, say) is no backup: its object goes too.
        if (!completed) {
          await client.send(new DeleteObjectCommand({ Bucket: destination.bucket, Key: key })).catch(() => {});
          await prisma.offsiteCopy.deleteMany({ where: { id: record.id } });
        }
      } finally {
        client.destroy();
      }
    },
  };
  return target;
}
