import { withBackupAccess } from "@/lib/auth/route";
import { getJob, parseJobId, readJobLog } from "@/lib/backup";
import { notFound } from "@/lib/errors";

// GET /api/v1/backups/{id}/log — the end of a job's log as plain text (the job's page follows it while it
// runs); X-Job-Status says whether there is more to come.
export const GET = withBackupAccess<{ key: string }>(async (_request, caller, { key }) => {
  const job = await getJob(parseJobId(key));
  if (!job) throw notFound("No such backup");
  const log = await readJobLog(job, caller.settings);
  return new Response(log, {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Job-Status": job.status },
  });
});
