"use server";

import { redirect } from "next/navigation";
import { backupAction } from "@/lib/auth/action";
import { requestRestore, restoreRequestSchema } from "@/lib/backup";

// Nothing is restored by a GET or a single click: this POST needs the backup's name typed in full.
// The same request path as POST /api/v1/backups/restore: one schema, one set of answers.
export const startRestoreAction = backupAction(restoreRequestSchema, async (input, caller) => {
  const job = await requestRestore(input, caller);
  redirect(`/backups/${job.id}`);
});
