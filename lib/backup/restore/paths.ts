import fs from "node:fs/promises";
import path from "node:path";
import { fromRoot } from "@/lib/config";
import { labelRoots } from "@/lib/backup/archive/walk";
import { resolveRootTarget } from "@/lib/backup/restore/swap";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** Where a restore stages a root's files before swapping them in, beside the root itself. */
export function stagingDirFor(target: string, jobId: number, label: string): string {
  return path.join(path.dirname(target), `.safekeep-restore-${jobId}-${label}`);
}

/** Where a restore keeps a root's previous files until it has finished. */
export function asideDirFor(target: string, jobId: number, label: string): string {
  return path.join(path.dirname(target), `.safekeep-before-restore-${jobId}-${label}`);
}

export function stagedDatabaseFile(settings: Settings, jobId: number): string {
  return path.join(resolvedBackupDir(settings), `.restore-${jobId}.db.part`);
}

/** Phases after which a stopped restore has changed live data. */
export const RESTORE_CHANGING_PHASES = ["restoring-database", "restoring-files", "finalizing"];

/**
 * After a restore's process died: removes what it staged, and lists previous files it had set aside
 * (those are kept: they may be the only copy of what was there).
 */
export async function cleanUpDeadRestore(settings: Settings, jobId: number): Promise<string[]> {
  await fs.rm(stagedDatabaseFile(settings, jobId), { force: true });
  const kept: string[] = [];
  for (const root of labelRoots(settings.fileRoots.map(fromRoot))) {
    // Staged beside where the files really are (a root that is a link: beside the folder it points to).
    const target = await resolveRootTarget(root.path).catch(() => root.path);
    await fs.rm(stagingDirFor(target, jobId, root.label), { recursive: true, force: true });
    const aside = asideDirFor(target, jobId, root.label);
    if (
      await fs.stat(aside).then(
        () => true,
        () => false,
      )
    )
      kept.push(aside);
  }
  return kept;
}
