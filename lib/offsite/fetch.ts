import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { backupFileNameSchema, checksumFileName } from "@/lib/backup/jobs/names";
import { ensurePrivateDir } from "@/lib/backup/jobs/paths";
import { s3Client } from "@/lib/offsite/client";
import { environmentDestination, listDestinations, normalisePrefix, type Destination } from "@/lib/offsite/destinations";
import { explainS3Error } from "@/lib/offsite/explain";

/** `s3://bucket/prefix/name.zip` → its bucket, key, prefix and file name; throws a sentence for anything else. */
export function parseS3Url(url: string): { bucket: string; key: string; prefix: string; fileName: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])\/(.+)$/.exec(url.trim());
  if (!match) throw new Error(`Not an s3:// address of a backup: ${url} (expected s3://bucket/prefix/<name>.zip)`);
  const key = match[2]!;
  const fileName = path.posix.basename(key);
  if (!backupFileNameSchema.safeParse(fileName).success || key.split("/").some((p) => p === ".." || p === ".")) {
    throw new Error(`Not a backup's address: ${url} (the last part must be a backup's .zip name)`);
  }
  return { bucket: match[1]!, key, prefix: normalisePrefix(path.posix.dirname(key) === "." ? "" : path.posix.dirname(key)), fileName };
}

/** The destination whose credentials reach `bucket` (prefix taken from the address); the environment's when none names it. */
export async function destinationForBucket(bucket: string, prefix: string): Promise<Destination> {
  const all = await listDestinations().catch(() => [] as Destination[]);
  const known = all.find((d) => d.bucket === bucket && d.prefix === prefix) ?? all.find((d) => d.bucket === bucket) ?? environmentDestination() ?? all[0];
  if (!known) {
    throw new Error(
      `No credentials for bucket "${bucket}": set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, BACKUP_S3_BUCKET (and AWS_ENDPOINT_URL_S3, AWS_REGION, BACKUP_S3_FORCE_PATH_STYLE for a non-AWS server) in .env or the environment`,
    );
  }
  return { ...known, bucket, prefix };
}

export interface RemoteBackup {
  fileName: string;
  key: string;
  sizeBytes: number;
  lastModified: Date | null;
}

/** The backups in a destination (objects under its prefix named like a backup), newest first. */
export async function listRemoteBackups(destination: Destination, client: S3Client = s3Client(destination)): Promise<RemoteBackup[]> {
  const found: RemoteBackup[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: destination.prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const rest = object.Key!.slice(destination.prefix.length);
        if (rest.includes("/") || !backupFileNameSchema.safeParse(rest).success) continue;
        found.push({ fileName: rest, key: object.Key!, sizeBytes: object.Size ?? 0, lastModified: object.LastModified ?? null });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw new Error(explainS3Error(error, destination, "list objects"));
  }
  // Names carry their UTC time (`-YYYYMMDD-HHmmss-id`), which survives a copy between buckets; the date the server gives does not.
  const stamp = (name: string) => {
    const m = /-(\d{8})-(\d{6})-(\d+)\.zip(?:\.age)?$/.exec(name);
    return m ? `${m[1]}${m[2]}${m[3]!.padStart(12, "0")}` : "";
  };
  return found.sort((a, b) => stamp(b.fileName).localeCompare(stamp(a.fileName)) || (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0));
}

/**
 * Streams a backup from the bucket into `dir` under a hidden name, hashing as it goes, and only when the
 * SHA-256 equals the one stored with the object (and the size is right) gives it its name and writes the
 * checksum file beside it. A copy that does not match is removed and nothing else is touched.
 */
export async function downloadVerified(
  destination: Destination,
  key: string,
  dir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ file: string; sha256: string; sizeBytes: number }> {
  const fileName = path.posix.basename(key);
  backupFileNameSchema.parse(fileName);
  await ensurePrivateDir(dir);
  const client = s3Client(destination);
  const target = path.join(dir, fileName);
  const partial = path.join(dir, `.${fileName}.download`);
  try {
    let got;
    try {
      got = await client.send(new GetObjectCommand({ Bucket: destination.bucket, Key: key }));
    } catch (error) {
      throw new Error(explainS3Error(error, destination, "read the backup"));
    }
    const expected = got.Metadata?.sha256;
    if (!expected || !/^[0-9a-f]{64}$/.test(expected))
      throw new Error(`s3://${destination.bucket}/${key} carries no SHA-256: it was not stored by Safekeep, or its metadata was lost`);
    const total = got.ContentLength ?? 0;
    const hash = createHash("sha256");
    let done = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        hash.update(chunk);
        done += chunk.length;
        onProgress?.(done, total);
        callback(null, chunk);
      },
    });
    await pipeline(got.Body as Readable, counter, fs.createWriteStream(partial, { mode: 0o600 }));
    const actual = hash.digest("hex");
    if (actual !== expected || (total && done !== total)) {
      throw new Error(
        `The copy at s3://${destination.bucket}/${key} is damaged: its SHA-256 is ${actual}, not the ${expected} stored with it. Nothing was restored.`,
      );
    }
    fs.renameSync(partial, target);
    fs.writeFileSync(path.join(dir, checksumFileName(fileName)), `${actual}  ${fileName}\n`, { mode: 0o600 });
    return { file: target, sha256: actual, sizeBytes: done };
  } finally {
    fs.rmSync(partial, { force: true });
    client.destroy();
  }
}
