"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { checkBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma } from "@/lib/db";
import { JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { startBackgroundRestore } from "@/lib/backup/jobs/start";
import type { ActionResult } from "./actions";

const restoreSchema = z.object({
  id: z.coerce.number().int().positive().max(2 ** 31),
  parts: z.enum(["both", "database", "files"]),
  confirm: z.string().max(300),
});

// Nothing is restored by a GET or a single click: this POST needs the backup's name typed in full.
export async function startRestoreAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const input = restoreSchema.safeParse({ id: form.get("id"), parts: form.get("parts"), confirm: form.get("confirm") });
  if (!input.success) return { ok: false, status: 422, message: "Choose what to restore and type the backup's name" };
  const backup = await prisma.backup.findUnique({ where: { id: input.data.id } });
  if (!backup || backup.status !== "completed" || backup.kind === "restore") {
    return { ok: false, status: 404, message: "That backup cannot be restored (missing or not completed)" };
  }
  if (input.data.confirm.trim() !== backup.fileName) {
    return { ok: false, status: 422, message: "The name you typed is not the backup's name; nothing was restored" };
  }
  let job;
  try {
    job = await startBackgroundRestore(access.settings, access.user.id, backup.fileName, input.data.parts);
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return { ok: false, status: 409, message: error.message };
    throw error;
  }
  await recordAudit(await actorFor(access.user), "backup.restore", backup.fileName, { parts: input.data.parts, job: job.fileName });
  redirect(`/backups/${job.id}`);
}
