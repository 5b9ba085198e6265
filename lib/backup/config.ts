import { fromRoot } from "@/lib/config";
import type { AgeRecipients } from "@/lib/backup/crypto/age";
import { encryptionTarget } from "@/lib/backup/crypto/keys";
import { COMPRESSION_LEVELS, resolvedBackupDir, type Settings } from "@/lib/settings";

/** What the database layer needs to run the clients: their paths, nothing else of the settings. */
export type DatabaseTools = Pick<Settings, "mysqldumpPath" | "pgDumpPath">;

/** The database a backup dumps, and the clients that dump it. */
export type DatabaseConfig = DatabaseTools & Pick<Settings, "databaseUrl">;

/**
 * What one backup job needs, resolved once from the settings when the job starts: absolute folders, the
 * zlib level, who the archive is encrypted to. The engine's backup path reads this, not the settings.
 */
export interface BackupConfig {
  backupDir: string;
  backupName: string;
  fileRoots: string[];
  excludeGlobs: string[];
  level: number;
  verifyAfterWrite: boolean;
  encryptTo: AgeRecipients | null;
  database: DatabaseConfig;
}

export function backupConfig(settings: Settings): BackupConfig {
  return {
    backupDir: resolvedBackupDir(settings),
    backupName: settings.backupName,
    fileRoots: settings.fileRoots.map(fromRoot),
    excludeGlobs: settings.excludeGlobs,
    level: COMPRESSION_LEVELS[settings.compression],
    verifyAfterWrite: settings.verifyAfterBackup,
    encryptTo: encryptionTarget(settings),
    database: { databaseUrl: settings.databaseUrl, mysqldumpPath: settings.mysqldumpPath, pgDumpPath: settings.pgDumpPath },
  };
}
