import fs from "node:fs";
import { prisma } from "@/lib/db";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { getDestination } from "@/lib/offsite/destinations";
import { downloadVerified } from "@/lib/offsite/fetch";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/**
 * A restore uses the local archive when it is there; when it is gone (pruned, lost) and a copy is stored
 * offsite, the copy is fetched into the backup directory first, checked against the SHA-256 stored with
 * it and the one in the backup's record, before anything is touched. Returns where it came from, or null.
 */
export async function fetchFromOffsiteIfMissing(fileName: string, settings: Settings): Promise<string | null> {
  const dir = resolvedBackupDir(settings);
  if (fs.existsSync(jobFiles(dir, fileName).archive)) return null;
  const copies = await prisma.offsiteCopy.findMany({ where: { fileName, state: "stored" }, orderBy: { updatedAt: "desc" } });
  const record = await prisma.backup.findUnique({ where: { fileName }, select: { sha256: true } });
  for (const copy of copies) {
    const destination = await getDestination(copy.destinationId);
    if (!destination) continue;
    const fetched = await downloadVerified({ ...destination, bucket: copy.bucket }, copy.key, dir);
    if (record?.sha256 && record.sha256 !== fetched.sha256) {
      fs.rmSync(fetched.file, { force: true });
      throw new Error(`The copy at s3://${copy.bucket}/${copy.key} is not the backup this portal recorded (SHA-256 differs): nothing was restored`);
    }
    return `s3://${copy.bucket}/${copy.key}`;
  }
  return null;
}
