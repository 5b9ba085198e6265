import { prisma } from "@/lib/db";
import type { Destination } from "@/lib/offsite/destinations";
import { objectKey } from "@/lib/offsite/destinations";
import type { UploadState } from "@/lib/offsite/multipart";

export type CopyState = "uploading" | "stored" | "failed" | "deleted";

/** One backup's copy in one destination, as the list, the backup's page and the API show it. */
export interface CopyView {
  destinationId: string;
  url: string;
  state: CopyState;
  sizeBytes: number | null;
  error: string | null;
  updatedAt: string;
}

export async function copyRecord(fileName: string, destination: Destination) {
  const key = objectKey(destination, fileName);
  return prisma.offsiteCopy.upsert({
    where: { fileName_destinationId: { fileName, destinationId: destination.id } },
    create: { fileName, destinationId: destination.id, bucket: destination.bucket, key },
    // A destination whose bucket or prefix changed starts a new copy: the old upload cannot resume there.
    update: {},
  });
}

export function readUploadState(upload: string | null): UploadState | null {
  if (!upload) return null;
  try {
    return JSON.parse(upload) as UploadState;
  } catch {
    return null;
  }
}

export async function markCopy(
  id: number,
  data: { state?: CopyState; upload?: UploadState | null; error?: string | null; sizeBytes?: number; sha256?: string; bucket?: string; key?: string },
) {
  const { upload, ...rest } = data;
  await prisma.offsiteCopy.update({
    where: { id },
    data: { ...rest, ...(upload !== undefined ? { upload: upload ? JSON.stringify(upload) : null } : {}) },
  });
}

export async function copiesOf(fileNames: string[]): Promise<Map<string, CopyView[]>> {
  const rows = fileNames.length
    ? await prisma.offsiteCopy.findMany({ where: { fileName: { in: fileNames }, state: { not: "deleted" } }, orderBy: { destinationId: "asc" } })
    : [];
  const byName = new Map<string, CopyView[]>();
  for (const row of rows) {
    const list = byName.get(row.fileName) ?? [];
    list.push({
      destinationId: row.destinationId,
      url: `s3://${row.bucket}/${row.key}`,
      state: row.state as CopyState,
      sizeBytes: row.sizeBytes,
      error: row.error,
      updatedAt: row.updatedAt.toISOString(),
    });
    byName.set(row.fileName, list);
  }
  return byName;
}

/** The one word the list shows beside a backup's status: worst state first. */
export function offsiteSummary(copies: CopyView[]): "none" | "stored" | "uploading" | "failed" {
  if (!copies.length) return "none";
  if (copies.some((c) => c.state === "failed")) return "failed";
  if (copies.some((c) => c.state === "uploading")) return "uploading";
  return "stored";
}
