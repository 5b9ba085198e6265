"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { backupAction, type ActionState } from "@/lib/auth/action";
import { cancelJob, deleteJob, requestDrill, requestVerify, setPinned, startBackup } from "@/lib/backup";

export type ActionResult = (ActionState & { backupId?: number }) | null;

const id = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31);
const confirmed = z.literal("yes", { message: "Tick the box to confirm" });

export const createBackupAction = backupAction(z.object({}), async (_input, caller) => {
  const backup = await startBackup(caller);
  revalidatePath("/backups");
  return { ok: true, message: `Backup ${backup.fileName} started`, backupId: backup.id };
});

export const deleteBackupAction = backupAction(z.object({ id, confirm: confirmed }), async (input, caller) => {
  const backup = await deleteJob({ id: input.id }, caller, "That backup no longer exists");
  revalidatePath("/backups");
  redirect("/backups?deleted=" + encodeURIComponent(backup.fileName));
});

export const cancelBackupAction = backupAction(z.object({ id, confirm: confirmed }), async (input, caller) => {
  const backup = await cancelJob(input.id, caller);
  revalidatePath("/backups");
  redirect(`/backups/${input.id}?cancelled=${encodeURIComponent(backup.fileName)}`);
});

/** A pinned backup is never deleted by retention. */
export const setPinnedAction = backupAction(z.object({ id, pinned: z.enum(["true", "false"]) }), async (input, caller) => {
  const pinned = input.pinned === "true";
  const backup = await setPinned(input.id, pinned, caller);
  revalidatePath(`/backups/${backup.id}`);
  return { ok: true, message: pinned ? "Pinned: retention will keep it" : "Unpinned" };
});

/** Reads an archive back whole in the background: one found in the backup directory becomes a backup once it passes. */
export const verifyBackupAction = backupAction(z.object({ id, key: z.string().max(20_000).optional() }), async (input, caller) => {
  const job = await requestVerify(input.id, caller, input.key);
  redirect(`/backups/${job.id}`);
});

/** Proves the newest backup restorable now, without waiting for the weekly drill. */
export const startDrillAction = backupAction(z.object({}), async (_input, caller) => {
  const job = await requestDrill(caller);
  redirect(`/backups/${job.id}`);
});
