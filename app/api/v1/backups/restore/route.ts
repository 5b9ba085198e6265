import { NextResponse } from "next/server";
import { withBackupAccess } from "@/lib/auth/route";
import { requestRestore, restoreRequestSchema } from "@/lib/backup";
import { readJsonBody } from "@/lib/http/json-body";

// POST /api/v1/backups/restore — {fileName, confirm: <the file name again>, only?} → 202 with where to poll.
// The same request path as the confirmation page's form: one schema, one set of answers.
export const POST = withBackupAccess(async (request, caller) => {
  const input = await readJsonBody(request, restoreRequestSchema, { invalidCode: "invalid" });
  const job = await requestRestore(input, caller);
  return NextResponse.json(
    { id: job.id, status: job.status, url: `/api/v1/backups/${job.id}` },
    { status: 202, headers: { Location: `/api/v1/backups/${job.id}` } },
  );
});
