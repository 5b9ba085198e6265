import fs from "node:fs";
import { z } from "zod";
import { prisma, type Backup } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { startBackgroundRestore } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { ArchiveKeyError, isEncryptedArchive, openArchiveSource } from "@/lib/backup/archive/archive-source";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { keysFromText, portalKeys, withPortalKeys } from "@/lib/backup/crypto/keys";
import { planRestore, type RestorePlan } from "@/lib/backup/restore/plan";
import { notFound, SafekeepError } from "@/lib/errors";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

const idSchema = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31);

/**
 * A restore request, from the confirmation page's form or from `POST /api/v1/backups/restore`: the
 * backup by id or by file name, what to restore, and its name typed again. One schema, one set of answers.
 */
export const restoreRequestSchema = z
  .object({
    id: idSchema.optional(),
    fileName: backupFileNameSchema.optional(),
    parts: z.enum(["both", "database", "files"]).optional(),
    /** The API's spelling of `parts` (database or files only; absent means both). */
    only: z.enum(["database", "files"]).optional(),
    confirm: z.string().max(300),
    /** For the portal's own database: also bring back the backup's users, roles and tokens (form: "on"). */
    restoreAccounts: z
      .union([z.boolean(), z.literal("on")])
      .optional()
      .transform((v) => v === true || v === "on"),
    /** An encrypted backup's private key (an age identity file's text) or passphrase: used for this job only. */
    key: z.string().max(20_000).optional(),
    /** The settings want encryption and this archive is not encrypted: restore it anyway (form: "on"). */
    allowUnencrypted: z
      .union([z.boolean(), z.literal("on")])
      .optional()
      .transform((v) => v === true || v === "on"),
  })
  .refine((r) => r.id !== undefined || r.fileName !== undefined, { message: "Name the backup (fileName)", path: ["fileName"] });

export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

async function restorableBackup(request: Pick<RestoreRequest, "id" | "fileName">): Promise<Backup> {
  const backup =
    request.id !== undefined
      ? await prisma.backup.findUnique({ where: { id: request.id } })
      : await prisma.backup.findUnique({ where: { fileName: request.fileName! } });
  if (!backup || backup.status !== "completed" || backup.kind === "restore") {
    throw notFound("That backup cannot be restored (missing or not completed)");
  }
  return backup;
}

/** Nothing is restored by a GET or a single click: the backup's name must be typed in full. */
export async function requestRestore(request: RestoreRequest, { user, actor, settings }: Caller): Promise<BackupView> {
  // Whatever backupAccess says: a restore can bring back a database from a time someone had more rights.
  if (user.role !== "admin") throw new SafekeepError("forbidden", "Restoring is for administrators: ask one to restore this backup");
  const backup = await restorableBackup(request);
  if (request.confirm.trim() !== backup.fileName) {
    throw new SafekeepError("not_confirmed", "The name you typed is not the backup's name; nothing was restored");
  }
  const parts = request.parts ?? request.only ?? "both";
  const given = keysFromText(request.key);
  await checkCanOpen(resolveInside(resolvedBackupDir(settings), backup.fileName), given, settings, request.allowUnencrypted);
  const job = await startBackgroundRestore(settings, user.id, backup.fileName, parts, { restoreAccounts: request.restoreAccounts, keys: given });
  await recordAudit(actor, "backup.restore", backup.fileName, { parts, job: job.fileName, restoreAccounts: request.restoreAccounts });
  return toView(job);
}

/**
 * Before anything is queued: the key opens the archive (a wrong or malformed key is a sentence, and
 * nothing starts), and an archive that is not encrypted while the settings want encryption is refused
 * unless the admin said to go on (an old backup, or one swapped in by someone who could write there).
 */
async function checkCanOpen(file: string, given: AgeKeys | null, settings: Settings, allowUnencrypted: boolean): Promise<void> {
  // Gone here but stored offsite: the job fetches it first, checks its SHA-256, then opens it with the same key.
  if (!fs.existsSync(file)) return;
  const encrypted = await isEncryptedArchive(file).catch(() => false);
  if (!encrypted) {
    if (settings.encryption !== "off" && !allowUnencrypted)
      throw new SafekeepError(
        "not_confirmed",
        "This backup is not encrypted, though the settings encrypt backups: confirm that you trust it to restore it anyway",
      );
    return;
  }
  const source = await openArchiveSource(file, withPortalKeys(given, settings)).catch((error: Error) => {
    throw error instanceof ArchiveKeyError ? new SafekeepError("invalid", `${error.message}; nothing was restored`) : error;
  });
  await source.close();
}

export type RestorePreview =
  | { ok: true; plan: RestorePlan; encrypted: boolean }
  | { ok: false; problem: string }
  /** Encrypted to a key the portal does not hold: what it holds is unknown until the key is given. */
  | { ok: "locked"; problem: string }
  /** The local archive is gone and a copy is stored offsite: the restore fetches it first. */
  | { ok: "remote"; problem: string };

/** What a restore of this backup would replace, for the confirmation page; opens the archive, writes nothing. */
export async function previewRestore(backup: Pick<BackupView, "fileName">, settings: Settings): Promise<RestorePreview> {
  const file = resolveInside(resolvedBackupDir(settings), backup.fileName);
  if (!fs.existsSync(file)) {
    const copy = await prisma.offsiteCopy.findFirst({ where: { fileName: backup.fileName, state: "stored" }, orderBy: { updatedAt: "desc" } });
    if (!copy) return { ok: false, problem: "The backup's archive is missing from the backup directory, and no offsite copy of it is stored" };
    return {
      ok: "remote",
      problem: `The local archive is gone: the restore first fetches s3://${copy.bucket}/${copy.key} and checks its SHA-256 before anything is touched`,
    };
  }
  const archive = await inspectArchive(file, portalKeys(settings)).catch((e: Error) => e);
  if (archive instanceof ArchiveKeyError) return { ok: "locked", problem: archive.message };
  if (archive instanceof Error) return { ok: false, problem: archive.message };
  await archive.close();
  return { ok: true, plan: planRestore(archive, settings, "both"), encrypted: archive.source.encrypted };
}
