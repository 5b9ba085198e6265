import { createHash } from "node:crypto";
import fs from "node:fs";
import { openArchiveSource, type ArchiveKeys } from "@/lib/backup/archive/archive-source";
import { findDirectory } from "@/lib/backup/archive/central-directory";
import { ArchiveRejectedError, type InspectedArchive } from "@/lib/backup/restore/archive-rules";
import { inspectHeld } from "@/lib/backup/restore/inspect-held";
import { inspectStreamed } from "@/lib/backup/restore/inspect-streamed";

export { ArchiveRejectedError, isSafeRelativePath, type InspectedArchive } from "@/lib/backup/restore/archive-rules";

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks an archive's structure before anything is extracted: the manifest parses, every entry is one
 * the manifest lists (and every listed one is there, once), names cannot escape their folder, nothing
 * lies under a link, and declared sizes match. Contents are checked while they are read.
 *
 * First in bounded memory (inspect-streamed.ts), which vouches for a sound archive in our writer's order,
 * whatever its size; anything it cannot vouch for is checked again holding every entry (inspect-held.ts),
 * which says what is wrong, or reads an archive in another order.
 */
export async function inspectArchive(file: string, keys?: ArchiveKeys | null): Promise<InspectedArchive> {
  const source = await openArchiveSource(file, keys);
  try {
    const directory = await findDirectory(source).catch((error: Error) => {
      throw new ArchiveRejectedError(`Not a readable zip archive: ${error.message}`);
    });
    return (await inspectStreamed(file, source, directory)) ?? (await inspectHeld(file, source, directory));
  } catch (error) {
    await source.close();
    throw error;
  }
}
