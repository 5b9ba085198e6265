import fs from "node:fs";
import { prisma, type Backup } from "@/lib/db";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { s3Client, endpointLabel } from "@/lib/offsite/client";
import { copyRecord, markCopy, readUploadState } from "@/lib/offsite/copies";
import { listDestinations, objectKey, s3Url, type Destination } from "@/lib/offsite/destinations";
import { explainS3Error } from "@/lib/offsite/explain";
import { uploadFile, type UploadOptions } from "@/lib/offsite/multipart";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

export interface PushReport {
  /** One sentence per destination. */
  lines: string[];
  failed: number;
}

export interface PushOptions {
  progress?(detail: string, percent?: number): Promise<void> | void;
  log?(line: string): void;
  /** Tests tune the retries; the defaults suit a real network. */
  tuning?: Pick<UploadOptions, "attempts" | "backoffMs" | "concurrency" | "partSize">;
  destinations?: Destination[];
}

/**
 * Copies one completed backup's archive to every destination (or those given), resuming any upload an
 * earlier attempt left part-way. Each destination's outcome is kept on its copy record; a failure in one
 * does not stop the others. Throws only for a backup that cannot be copied at all.
 */
export async function pushBackup(backup: Backup, settings: Settings, options: PushOptions = {}): Promise<PushReport> {
  if (backup.kind === "restore" || backup.status !== "completed" || !backup.sha256 || backup.sizeBytes == null) {
    throw new Error(`${backup.fileName} is not a completed backup: nothing to copy offsite`);
  }
  const destinations = options.destinations ?? (await listDestinations());
  const archive = jobFiles(resolvedBackupDir(settings), backup.fileName).archive;
  const lines: string[] = [];
  let failed = 0;
  for (const [index, destination] of destinations.entries()) {
    const record = await copyRecord(backup.fileName, destination);
    const key = objectKey(destination, backup.fileName);
    const url = s3Url(destination, backup.fileName);
    const client = s3Client(destination, { maxAttempts: 1 });
    const started = Date.now();
    // A remote-only backup was written straight to its destination: that copy is done, and there is no local archive for the others.
    if (!fs.existsSync(archive)) {
      const already = record.state === "stored" && record.sha256 === backup.sha256 && record.key === key && record.bucket === destination.bucket;
      const how = destination.remoteOnly ? "written there directly (remote-only)" : "already, and there is no local archive to copy again";
      const line = already ? `Stored at ${url}: ${how}` : `Offsite copy failed for ${url}: there is no local archive to copy from`;
      if (!already) {
        failed++;
        await markCopy(record.id, { state: "failed", error: "there is no local archive to copy from", bucket: destination.bucket, key });
      }
      options.log?.(line);
      lines.push(line);
      client.destroy();
      continue;
    }
    await markCopy(record.id, { state: "uploading", error: null, bucket: destination.bucket, key, sha256: backup.sha256 });
    try {
      const outcome = await uploadFile({
        client,
        bucket: destination.bucket,
        key,
        file: archive,
        sha256: backup.sha256,
        resume: record.key === key && record.bucket === destination.bucket ? readUploadState(record.upload) : null,
        saveState: (state) => markCopy(record.id, { upload: state }),
        onProgress: (done, size) => {
          const share = size ? done / size : 1;
          void options.progress?.(`Copying to ${destination.name}: ${Math.round(share * 100)}%`, Math.round(((index + share) / destinations.length) * 100));
        },
        ...options.tuning,
      });
      await markCopy(record.id, { state: "stored", sizeBytes: outcome.size, error: null });
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const resumed = outcome.resumedParts ? `, resumed with ${outcome.resumedParts} part(s) already stored` : "";
      const line = `Copied to ${url} at ${endpointLabel(destination)} (${(outcome.size / 1e6).toFixed(1)} MB, ${(outcome.bytesSent / 1e6 / seconds).toFixed(1)} MB/s${resumed}; size and SHA-256 checked)`;
      options.log?.(line);
      lines.push(line);
    } catch (error) {
      failed++;
      const reason = explainS3Error(error, destination, "write the copy");
      await markCopy(record.id, { state: "failed", error: reason });
      const line = `Offsite copy failed for ${url}: ${reason}`;
      options.log?.(line);
      lines.push(line);
    } finally {
      client.destroy();
    }
  }
  return { lines, failed };
}

/** `backup:push <id>` and the backup page's **Copy offsite again**: the same as the step, on demand. */
export async function pushBackupById(id: number, settings: Settings, options: PushOptions = {}): Promise<PushReport> {
  const backup = await prisma.backup.findUnique({ where: { id } });
  if (!backup) throw new Error(`There is no backup ${id}`);
  return pushBackup(backup, settings, options);
}
