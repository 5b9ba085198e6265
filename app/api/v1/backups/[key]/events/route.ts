import { withBackupAccess } from "@/lib/auth/route";
import { getJob, isActive, parseJobId, watchJob, type BackupView } from "@/lib/backup";
import { notFound } from "@/lib/errors";

// GET /api/v1/backups/{id}/events — Server-Sent Events: the job now, then each change, until it ends.
// One connection per page instead of a request a second; the portal reads the record once a second per job.
export const GET = withBackupAccess<{ key: string }>(async (request, _caller, { key }) => {
  const id = parseJobId(key);
  const first = await getJob(id);
  if (!first) throw notFound("No such backup");
  const encoder = new TextEncoder();
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        stop();
        controller.close();
      };
      const send = (view: BackupView) => controller.enqueue(encoder.encode(`data: ${JSON.stringify(view)}\n\n`));
      send(first);
      if (!isActive(first.status)) return close();
      stop = watchJob(id, (view) => {
        if (!open) return;
        if (!view) return close();
        send(view);
        if (!isActive(view.status)) close();
      });
      request.signal.addEventListener("abort", close);
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, { headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" } });
});
