import { NextResponse } from "next/server";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { jsonError, withBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma } from "@/lib/db";
import { BackupBusyError, deleteBackup } from "@/lib/backup/jobs/delete";
import { reapStaleJobs } from "@/lib/backup/jobs/queue";
import { findBackupView } from "@/lib/backup/jobs/list";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";

const idSchema = z.coerce.number().int().positive().max(2 ** 31);

// GET /api/v1/backups/{id} — one backup with its live progress
export const GET = withBackupAccess<{ key: string }>(async (_request, { settings }, { key }) => {
  const id = idSchema.safeParse(key);
  if (!id.success) return jsonError(400, "bad_request", "Expected a backup id");
  await reapStaleJobs(settings);
  const backup = await findBackupView(id.data);
  if (!backup) return jsonError(404, "not_found", "No such backup");
  return NextResponse.json(backup, { headers: { "Cache-Control": "no-store" } });
});

// DELETE /api/v1/backups/{filename} — 204
export const DELETE = withBackupAccess<{ key: string }>(async (_request, { user, settings }, { key }) => {
  const name = backupFileNameSchema.safeParse(key);
  if (!name.success) return jsonError(400, "bad_request", "Not a backup file name");
  const backup = await prisma.backup.findUnique({ where: { fileName: name.data } });
  if (!backup) return jsonError(404, "not_found", "No such backup");
  try {
    await deleteBackup(backup, settings);
  } catch (error) {
    if (error instanceof BackupBusyError) return jsonError(409, "busy", error.message);
    throw error;
  }
  await recordAudit(await actorFor(user), "backup.delete", backup.fileName);
  return new Response(null, { status: 204 });
});
