import fs from "node:fs";
import { recordAudit } from "@/lib/audit";
import { jsonError, type Granted } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { prisma, type Backup } from "@/lib/db";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir } from "@/lib/settings";
import { parseRange, type RangeRequest } from "@/lib/http/range";

const CHUNK = 1024 * 1024;

type Found = { backup: Backup; file: string };

/** Only names the portal knows as completed backups are served, whatever else lies in the directory. */
async function findDownload(filename: string, granted: Granted): Promise<Found | Response> {
  const name = backupFileNameSchema.safeParse(filename);
  if (!name.success) return jsonError(400, "bad_request", "Not a backup file name");
  const backup = await prisma.backup.findUnique({ where: { fileName: name.data } });
  if (!backup || backup.status !== "completed") return jsonError(404, "not_found", "No such backup");
  return { backup, file: resolveInside(resolvedBackupDir(granted.settings), backup.fileName) };
}

function headersFor(backup: Backup, size: number, range: RangeRequest): Record<string, string> {
  const start = range.kind === "partial" ? range.start : 0;
  const end = range.kind === "partial" ? range.end + 1 : size;
  return {
    "Content-Type": "application/zip",
    "Content-Length": String(end - start),
    "Accept-Ranges": "bytes",
    ...(range.kind === "partial" ? { "Content-Range": `bytes ${start}-${end - 1}/${size}` } : {}),
    "Content-Disposition": `attachment; filename="${backup.fileName}"`,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
}

const missing = () => jsonError(404, "not_found", "The backup's file is missing from the backup directory");
const unsatisfiable = (size: number) =>
  new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}`, "Accept-Ranges": "bytes" } });

/**
 * HEAD: the headers a GET would send, from the file's metadata only. The file is not opened, nothing is
 * audited (no byte is sent) and delete-after-download never fires.
 */
export async function downloadHead(request: Request, granted: Granted, filename: string): Promise<Response> {
  const found = await findDownload(filename, granted);
  if (found instanceof Response) return found;
  const stat = await fs.promises.stat(found.file).catch(() => null);
  if (!stat?.isFile()) return missing();
  const range = parseRange(request.headers.get("range"), stat.size);
  if (range.kind === "unsatisfiable") return unsatisfiable(stat.size);
  return new Response(null, { status: range.kind === "partial" ? 206 : 200, headers: headersFor(found.backup, stat.size, range) });
}

/** GET: streamed from disk, never read whole into memory; a Range request (a resumed download) gets 206. */
export async function downloadGet(request: Request, granted: Granted, filename: string): Promise<Response> {
  const { user, settings } = granted;
  const found = await findDownload(filename, granted);
  if (found instanceof Response) return found;
  const { backup, file } = found;
  const handle = await fs.promises.open(file, "r").catch(() => null);
  if (!handle) return missing();
  const { size } = await handle.stat();
  const range = parseRange(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    await handle.close();
    return unsatisfiable(size);
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
  return new Response(body, { status: range.kind === "partial" ? 206 : 200, headers: headersFor(backup, size, range) });
}
