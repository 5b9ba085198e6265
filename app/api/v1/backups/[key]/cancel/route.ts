import { NextResponse } from "next/server";
import { withBackupAccess } from "@/lib/auth/route";
import { cancelJob, parseJobId } from "@/lib/backup";
import { emptyObjectSchema, readJsonBody } from "@/lib/http/json-body";

// POST /api/v1/backups/{id}/cancel — stops a queued or running backup: 200 with the cancelled record
export const POST = withBackupAccess<{ key: string }>(async (request, caller, { key }) => {
  const id = parseJobId(key);
  await readJsonBody(request, emptyObjectSchema);
  return NextResponse.json(await cancelJob(id, caller), { headers: { "Cache-Control": "no-store" } });
});
