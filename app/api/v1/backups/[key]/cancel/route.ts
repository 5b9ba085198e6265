import { NextResponse } from "next/server";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { jsonError, withBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { BackupNotActiveError, cancelBackup } from "@/lib/backup/jobs/cancel";
import { toView } from "@/lib/backup/jobs/list";
import { BodyError, emptyObjectSchema, readJsonBody } from "@/lib/http/json-body";

const idSchema = z.coerce.number().int().positive().max(2 ** 31);

// POST /api/v1/backups/{id}/cancel — stops a queued or running backup: 200 with the cancelled record
export const POST = withBackupAccess<{ key: string }>(async (request, { user, settings }, { key }) => {
  const id = idSchema.safeParse(key);
  if (!id.success) return jsonError(400, "bad_request", "Expected a backup id");
  try {
    await readJsonBody(request, emptyObjectSchema);
    const backup = await cancelBackup(id.data, settings, user.email);
    await recordAudit(await actorFor(user), "backup.cancel", backup.fileName, { status: backup.status });
    return NextResponse.json(toView(backup), { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    if (error instanceof BodyError) return jsonError(error.status, "bad_request", error.message);
    if (!(error instanceof BackupNotActiveError)) throw error;
    if (error.message === "No such backup") return jsonError(404, "not_found", error.message);
    return jsonError(409, "not_active", error.message);
  }
});
