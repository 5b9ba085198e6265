import fs from "node:fs";
import { after } from "next/server";
import { jsonError } from "@/lib/auth/route";
import { backupFileNameSchema, deleteAfterDownload, findDownload, findOffsiteCopy, recordDownload, verifiedRange, type Caller } from "@/lib/backup";
import type { Backup } from "@/lib/db";
import { socketOf } from "@/lib/http/connection-stamp";
import { deliveredToPeer } from "@/lib/http/delivered";
import { parseRange, type RangeRequest } from "@/lib/http/range";

const CHUNK = 1024 * 1024;

type Found = { backup: Backup; file: string };

/** Only names the portal knows as completed backups (a SafekeepError 404 otherwise, from findDownload). */
async function lookUp(filename: string, caller: Caller): Promise<Found | Response> {
  const name = backupFileNameSchema.safeParse(filename);
  if (!name.success) return jsonError(400, "bad_request", "Not a backup file name");
  return findDownload(name.data, caller.settings);
}

function headersFor(backup: Backup, size: number, range: RangeRequest): Record<string, string> {
  const start = range.kind === "partial" ? range.start : 0;
  const end = range.kind === "partial" ? range.end + 1 : size;
  return {
    // An encrypted backup goes out as stored: opaque bytes for `age -d`.
    "Content-Type": backup.fileName.endsWith(".age") ? "application/octet-stream" : "application/zip",
    "Content-Length": String(end - start),
    "Accept-Ranges": "bytes",
    ...(range.kind === "partial" ? { "Content-Range": `bytes ${start}-${end - 1}/${size}` } : {}),
    "Content-Disposition": `attachment; filename="${backup.fileName}"`,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
}

const missing = () => jsonError(404, "not_found", "The backup's file is missing from the backup directory");
const unsatisfiable = (size: number) => new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}`, "Accept-Ranges": "bytes" } });

/**
 * HEAD: the headers a GET would send, from the file's metadata only. The file is not opened, nothing is
 * audited (no byte is sent) and delete-after-download never fires.
 */
export async function downloadHead(request: Request, caller: Caller, filename: string): Promise<Response> {
  const found = await lookUp(filename, caller);
  if (found instanceof Response) return found;
  const stat = await fs.promises.stat(found.file).catch(() => null);
  const size = stat?.isFile() ? stat.size : (await findOffsiteCopy(found.backup))?.size;
  if (size === undefined) return missing();
  const range = parseRange(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") return unsatisfiable(size);
  return new Response(null, { status: range.kind === "partial" ? 206 : 200, headers: headersFor(found.backup, size, range) });
}

/** GET: streamed from disk, never read whole into memory; a Range request (a resumed download) gets 206. */
export async function downloadGet(request: Request, caller: Caller, filename: string): Promise<Response> {
  const { settings } = caller;
  const found = await lookUp(filename, caller);
  if (found instanceof Response) return found;
  const { backup, file } = found;
  // A link on another page is a top-level navigation, which carries the SameSite=Lax session cookie: with
  // delete-after-download on, such a link would delete a backup. Browsers say where a request came from.
  const site = request.headers.get("sec-fetch-site");
  if (settings.deleteAfterDownload && (site === "cross-site" || site === "same-site")) {
    return jsonError(
      403,
      "cross_site",
      "This download was started from another site. Backups are deleted once downloaded, so downloads only start from Safekeep's own pages: open the backup in Safekeep and download it there.",
    );
  }
  const handle = await fs.promises.open(file, "r").catch(() => null);
  if (!handle) return fromOffsite(request, caller, backup);
  const { size } = await handle.stat();
  const range = parseRange(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    await handle.close();
    return unsatisfiable(size);
  }
  const start = range.kind === "partial" ? range.start : 0;
  const end = range.kind === "partial" ? range.end + 1 : size;
  await recordDownload(backup, caller, range.kind === "partial" ? `${start}-${end - 1}` : undefined);

  // Only the whole file in one response can end in a delete: a part of it is no reason to.
  const deleteWhenDone = settings.deleteAfterDownload && range.kind === "full";
  let offset = start;
  let lastChunkTaken = false;
  const body = new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(controller) {
      if (offset >= end) {
        // Asked for more after the last chunk: the response writer has taken every byte.
        lastChunkTaken = true;
        controller.close();
        await handle.close();
        return;
      }
      const buffer = new Uint8Array(Math.min(CHUNK, end - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) {
        // The file shrank under us: end short, and the client sees fewer bytes than Content-Length.
        controller.error(new Error("The backup's file is shorter than it was"));
        await handle.close();
        return;
      }
      offset += bytesRead;
      controller.enqueue(buffer.subarray(0, bytesRead));
    },
    async cancel() {
      await handle.close();
    },
  });
  if (deleteWhenDone) {
    const socket = socketOf(request.headers);
    // Runs when the response closes. The request's signal is aborted when it closed before the response
    // finished (the client went away). Finished means every byte went to the operating system after the
    // stream gave up its last chunk; then the client must still acknowledge them all (a client that read
    // one byte and left resets the connection instead).
    after(async () => {
      if (!lastChunkTaken || request.signal.aborted) return;
      if (socket && !(await deliveredToPeer(socket))) return;
      await deleteAfterDownload(backup, caller);
    });
  }
  return new Response(body, { status: range.kind === "partial" ? 206 : 200, headers: headersFor(backup, size, range) });
}

/**
 * The local archive is gone (pruned, lost, or never kept in remote-only mode) but a copy is stored offsite:
 * streamed from the bucket while its SHA-256 is checked, the last piece held back until it matches (see
 * verifiedRange). Streaming rather than fetching to a temporary file first: the first byte goes out at
 * once, and it needs no disk, which remote-only installs do not have. Delete-after-download does not
 * apply: there is no local copy to free, and the record is what ties the offsite copy to the portal.
 */
async function fromOffsite(request: Request, caller: Caller, backup: Backup): Promise<Response> {
  const copy = await findOffsiteCopy(backup);
  if (!copy) return missing();
  const range = parseRange(request.headers.get("range"), copy.size);
  if (range.kind === "unsatisfiable") return unsatisfiable(copy.size);
  const start = range.kind === "partial" ? range.start : 0;
  const end = range.kind === "partial" ? range.end + 1 : copy.size;
  await recordDownload(backup, caller, range.kind === "partial" ? `${start}-${end - 1}` : undefined, copy.url);
  const pieces = verifiedRange(copy, backup.sha256!, start, end, request.signal);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        // Ends the response short of its Content-Length: the client sees a broken download, never a wrong one.
        console.error(`Download of ${backup.fileName} from ${copy.url} stopped: ${(error as Error).message}`);
        controller.error(error);
      }
    },
    async cancel() {
      await pieces.return(undefined);
    },
  });
  return new Response(body, { status: range.kind === "partial" ? 206 : 200, headers: headersFor(backup, copy.size, range) });
}
