import fs from "node:fs";
import { recordAudit } from "@/lib/audit";
import { jsonError, withBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma } from "@/lib/db";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir } from "@/lib/settings";
import { parseRange } from "@/lib/http/range";

const CHUNK = 1024 * 1024;

// GET /api/v1/backups/download/{filename} — streamed from disk, never read whole into memory;
// a Range request (resuming an interrupted download) gets 206 with just those bytes.
export const GET = withBackupAccess<{ filename: string }>(async (request, { user, settings }, { filename }) => {
  const name = backupFileNameSchema.safeParse(filename);
  if (!name.success) return jsonError(400, "bad_request", "Not a backup file name");
  // Only names the portal knows as completed backups are served, whatever else lies in the directory.
  const backup = await prisma.backup.findUnique({ where: { fileName: name.data } });
  if (!backup || backup.status !== "completed") return jsonError(404, "not_found", "No such backup");
  const file = resolveInside(resolvedBackupDir(settings), backup.fileName);
  const handle = await fs.promises.open(file, "r").catch(() => null);
  if (!handle) return jsonError(404, "not_found", "The backup's file is missing from the backup directory");
  const { size } = await handle.stat();
  const range = parseRange(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    await handle.close();
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}`, "Accept-Ranges": "bytes" } });
  }
  const start = range.kind === "partial" ? range.start : 0;
  const end = range.kind === "partial" ? range.end + 1 : size;
  const actor = await actorFor(user);
  await recordAudit(actor, "backup.download", backup.fileName, range.kind === "partial" ? { range: `${start}-${end - 1}` } : undefined);

  let offset = start;
  const body = new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(controller) {
      const buffer = new Uint8Array(Math.min(CHUNK, end - offset));
      const { bytesRead } = buffer.length ? await handle.read(buffer, 0, buffer.length, offset) : { bytesRead: 0 };
      offset += bytesRead;
      if (bytesRead > 0) controller.enqueue(buffer.subarray(0, bytesRead));
      if (bytesRead === 0 || offset >= end) {
        controller.close();
        await handle.close();
        // Only once the whole file went out in one response: a part of it is no reason to delete it.
        if (settings.deleteAfterDownload && range.kind === "full" && offset >= size) {
          await deleteBackup(backup, settings).catch(() => {});
          await recordAudit(actor, "backup.delete-after-download", backup.fileName);
        }
      }
    },
    async cancel() {
      await handle.close();
    },
  });

  return new Response(body, {
    status: range.kind === "partial" ? 206 : 200,
    headers: {
      "Content-Type": "application/zip",
      "Content-Length": String(end - start),
      "Accept-Ranges": "bytes",
      ...(range.kind === "partial" ? { "Content-Range": `bytes ${start}-${end - 1}/${size}` } : {}),
      "Content-Disposition": `attachment; filename="${backup.fileName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
});
