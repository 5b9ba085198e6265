import { NextResponse } from "next/server";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { jsonError, withBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma } from "@/lib/db";
import { JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";
import { startBackgroundRestore } from "@/lib/backup/jobs/start";

const bodySchema = z.object({
  fileName: backupFileNameSchema,
  confirm: z.string().max(300),
  only: z.enum(["database", "files"]).optional(),
});

// POST /api/v1/backups/restore — {fileName, confirm: <the file name again>, only?} → 202 with where to poll
export const POST = withBackupAccess(async (request, { user, settings }) => {
  const text = await request.text();
  if (text.length > 10_000) return jsonError(413, "too_large", "The request body is too large");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return jsonError(400, "bad_request", "The body must be JSON: {\"fileName\", \"confirm\", \"only\"?}");
  }
  const input = bodySchema.safeParse(json);
  if (!input.success) return jsonError(422, "invalid", input.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const backup = await prisma.backup.findUnique({ where: { fileName: input.data.fileName } });
  if (!backup || backup.status !== "completed" || backup.kind === "restore") return jsonError(404, "not_found", "No such completed backup");
  if (input.data.confirm !== backup.fileName) {
    return jsonError(422, "not_confirmed", "confirm must repeat the backup's file name; nothing was restored");
  }
  try {
    const job = await startBackgroundRestore(settings, user.id, backup.fileName, input.data.only ?? "both");
    await recordAudit(await actorFor(user), "backup.restore", backup.fileName, { parts: input.data.only ?? "both", job: job.fileName });
    return NextResponse.json(
      { id: job.id, status: job.status, url: `/api/v1/backups/${job.id}` },
      { status: 202, headers: { Location: `/api/v1/backups/${job.id}` } },
    );
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return jsonError(409, "busy", error.message);
    throw error;
  }
});
