import { NextResponse } from "next/server";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { jsonError, withBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { JobAlreadyRunningError, reapStaleJobs } from "@/lib/backup/jobs/queue";
import { listBackups } from "@/lib/backup/jobs/list";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { BodyError, emptyObjectSchema, readJsonBody } from "@/lib/http/json-body";

const pageSchema = z.coerce.number().int().min(1).max(1_000_000);

// GET /api/v1/backups?page=N — newest first
export const GET = withBackupAccess(async (request, { settings }) => {
  const page = pageSchema.safeParse(new URL(request.url).searchParams.get("page") ?? "1");
  if (!page.success) return jsonError(400, "bad_request", "page must be a whole number from 1");
  await reapStaleJobs(settings);
  return NextResponse.json(await listBackups(page.data));
});

// POST /api/v1/backups — starts a backup in the background: 202 with where to poll, 409 while one runs
export const POST = withBackupAccess(async (request, { user, settings }) => {
  try {
    await readJsonBody(request, emptyObjectSchema);
    const backup = await startBackgroundBackup(settings, user.id);
    await recordAudit(await actorFor(user), "backup.create", backup.fileName);
    return NextResponse.json(
      { id: backup.id, fileName: backup.fileName, status: backup.status, url: `/api/v1/backups/${backup.id}` },
      { status: 202, headers: { Location: `/api/v1/backups/${backup.id}` } },
    );
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return jsonError(409, "busy", error.message);
    if (error instanceof BodyError) return jsonError(error.status, "bad_request", error.message);
    throw error;
  }
});

