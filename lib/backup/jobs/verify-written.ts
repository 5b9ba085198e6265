import { verifyAndStage } from "@/lib/backup/restore/extract";
import type { ArchiveKeys } from "@/lib/backup/archive/archive-source";
import { inspectArchive, type InspectedArchive } from "@/lib/backup/restore/inspect";

/**
 * Reads back an archive just written, as a restore would: the central directory against the manifest,
 * then every entry's bytes against its SHA-256. Nothing is written. It reads from the page cache, so it
 * costs a fraction of the backup (measured in `npm run bench`). Throws what a restore would refuse.
 */
export async function verifyWrittenArchive(file: string, keys: ArchiveKeys | null, onBytes: (count: number) => void): Promise<{ bytes: number }> {
  const archive = await inspectArchive(file, keys);
  try {
    return await verifyInspectedArchive(archive, onBytes);
  } finally {
    await archive.close();
  }
}

/** The same, for an archive already inspected (a second inspection would hold a second copy of its entries until collected). */
export async function verifyInspectedArchive(archive: InspectedArchive, onBytes: (count: number) => void): Promise<{ bytes: number }> {
  await verifyAndStage(archive, { fileRoots: new Map(), databaseFile: null, onBytes });
  return { bytes: archive.uncompressedBytes };
}
