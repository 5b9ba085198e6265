import { NextResponse } from "next/server";
import { z } from "zod";
import { withBackupAccess } from "@/lib/auth/route";
import { listJobs, startBackup } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";
import { emptyObjectSchema, readJsonBody } from "@/lib/http/json-body";

const pageSchema = z.coerce.number().int().min(1).max(1_000_000);

// GET /api/v1/backups?page=N — newest first
export const GET = withBackupAccess(async (request) => {
  const page = pageSchema.safeParse(new URL(request.url).searchParams.get("page") ?? "1");
  if (!page.success) throw new SafekeepError("bad_request", "page must be a whole number from 1");
  return NextResponse.json(await listJobs(page.data));
});

// POST /api/v1/backups — starts a backup in the background: 202 with where to poll, 409 while one runs
export const POST = withBackupAccess(async (request, caller) => {
  await readJsonBody(request, emptyObjectSchema);
  const backup = await startBackup(caller);
  return NextResponse.json(
    { id: backup.id, fileName: backup.fileName, status: backup.status, url: `/api/v1/backups/${backup.id}` },
    { status: 202, headers: { Location: `/api/v1/backups/${backup.id}` } },
  );
});
