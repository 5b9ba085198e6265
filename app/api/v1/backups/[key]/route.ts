import { NextResponse } from "next/server";
import { withBackupAccess } from "@/lib/auth/route";
import { deleteJob, getJob, getJobByName, parseJobRef } from "@/lib/backup";
import { notFound } from "@/lib/errors";

// GET /api/v1/backups/{id or file name} — one backup or restore job, with its live progress
export const GET = withBackupAccess<{ key: string }>(async (_request, _caller, { key }) => {
  const ref = parseJobRef(key);
  const job = "id" in ref ? await getJob(ref.id) : await getJobByName(ref.fileName);
  if (!job) throw notFound("No such backup");
  return NextResponse.json(job, { headers: { "Cache-Control": "no-store" } });
});

// DELETE /api/v1/backups/{file name or id} — 204
export const DELETE = withBackupAccess<{ key: string }>(async (_request, caller, { key }) => {
  await deleteJob(parseJobRef(key), caller);
  return new Response(null, { status: 204 });
});
