"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { checkBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma } from "@/lib/db";
import { deleteBackup, BackupBusyError } from "@/lib/backup/jobs/delete";
import { JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { BackupNotActiveError, cancelBackup } from "@/lib/backup/jobs/cancel";

export type ActionResult = { ok: boolean; status?: number; message: string; backupId?: number } | null;

// Access first, in the action itself: any exported action is a public POST endpoint.
export async function createBackupAction(_prev: ActionResult, _form: FormData): Promise<ActionResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  try {
    const backup = await startBackgroundBackup(access.settings, access.user.id);
    await recordAudit(await actorFor(access.user), "backup.create", backup.fileName);
    revalidatePath("/backups");
    if (backup.status === "failed") return { ok: false, status: 500, message: `Backup failed to start: ${backup.error}` };
    return { ok: true, message: `Backup ${backup.fileName} started`, backupId: backup.id };
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return { ok: false, status: 409, message: error.message };
    throw error;
  }
}

const deleteSchema = z.object({
  id: z.coerce.number().int().positive(),
  confirm: z.literal("yes", { message: "Tick the box to confirm" }),
});

export async function deleteBackupAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const input = deleteSchema.safeParse({ id: form.get("id"), confirm: form.get("confirm") });
  if (!input.success) return { ok: false, status: 422, message: input.error.issues[0]!.message };
  const backup = await prisma.backup.findUnique({ where: { id: input.data.id } });
  if (!backup) return { ok: false, status: 404, message: "That backup no longer exists" };
  try {
    await deleteBackup(backup, access.settings);
  } catch (error) {
    if (error instanceof BackupBusyError) return { ok: false, status: 409, message: error.message };
    throw error;
  }
  await recordAudit(await actorFor(access.user), "backup.delete", backup.fileName);
  revalidatePath("/backups");
  redirect("/backups?deleted=" + encodeURIComponent(backup.fileName));
}

const cancelSchema = z.object({
  id: z.coerce.number().int().positive().max(2 ** 31),
  confirm: z.literal("yes", { message: "Tick the box to confirm" }),
});

export async function cancelBackupAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const input = cancelSchema.safeParse({ id: form.get("id"), confirm: form.get("confirm") });
  if (!input.success) return { ok: false, status: 422, message: input.error.issues[0]!.message };
  let fileName: string;
  try {
    const backup = await cancelBackup(input.data.id, access.settings, access.user.email);
    fileName = backup.fileName;
    await recordAudit(await actorFor(access.user), "backup.cancel", backup.fileName, { status: backup.status });
  } catch (error) {
    if (!(error instanceof BackupNotActiveError)) throw error;
    const status = error.message === "No such backup" ? 404 : 409;
    return { ok: false, status, message: error.message };
  }
  revalidatePath("/backups");
  redirect(`/backups/${input.data.id}?cancelled=${encodeURIComponent(fileName)}`);
}

const pinSchema = z.object({ id: z.coerce.number().int().positive().max(2 ** 31), pinned: z.enum(["true", "false"]) });

/** A pinned backup is never deleted by retention. */
export async function setPinnedAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const input = pinSchema.safeParse({ id: form.get("id"), pinned: form.get("pinned") });
  if (!input.success) return { ok: false, status: 422, message: "Bad request" };
  const pinned = input.data.pinned === "true";
  const updated = await prisma.backup.updateMany({ where: { id: input.data.id, kind: { not: "restore" } }, data: { pinned } });
  if (updated.count === 0) return { ok: false, status: 404, message: "No such backup" };
  const backup = await prisma.backup.findUniqueOrThrow({ where: { id: input.data.id } });
  await recordAudit(await actorFor(access.user), pinned ? "backup.pin" : "backup.unpin", backup.fileName);
  revalidatePath(`/backups/${backup.id}`);
  return { ok: true, message: pinned ? "Pinned: retention will keep it" : "Unpinned" };
}
