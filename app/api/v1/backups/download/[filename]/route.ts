import fs from "node:fs";
import { jsonError, withBackupAccess } from "@/lib/auth/route";
import { backupFileNameSchema, deleteAfterDownload, findDownload, recordDownload } from "@/lib/backup";
import { parseRange } from "@/lib/http/range";

const CHUNK = 1024 * 1024;

// GET /api/v1/backups/download/{filename} — streamed from disk, never read whole into memory;
// a Range request (resuming an interrupted download) gets 206 with just those bytes.
export const GET = withBackupAccess<{ filename: string }>(async (request, caller, { filename }) => {
  const { settings } = caller;
  const name = backupFileNameSchema.safeParse(filename);
  if (!name.success) return jsonError(400, "bad_request", "Not a backup file name");
  const { backup, file } = await findDownload(name.data, settings);
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
  await recordDownload(backup, caller, range.kind === "partial" ? `${start}-${end - 1}` : undefined);

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
          await deleteAfterDownload(backup, caller);
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
