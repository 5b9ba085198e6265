import { z } from "zod";
import { backupFileNameSchema, openDecryptedDownload, type Caller } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";

const MAX_KEY_BODY = 32 * 1024;
const CHUNK = 1024 * 1024;
const keyBody = z.object({ key: z.string().max(20_000).optional() });

/** The key, from a plain form post (the backup's page) or JSON (the API); nothing else is read. */
async function readKey(request: Request): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_KEY_BODY) throw new SafekeepError("too_large", `The request body is larger than ${MAX_KEY_BODY} bytes`);
  const text = await request.text();
  if (text.length > MAX_KEY_BODY) throw new SafekeepError("too_large", `The request body is larger than ${MAX_KEY_BODY} bytes`);
  const type = request.headers.get("content-type") ?? "";
  let data: unknown = {};
  if (/^application\/json\b/i.test(type)) {
    try {
      data = text.trim() ? JSON.parse(text) : {};
    } catch {
      throw new SafekeepError("bad_request", "The request body is not valid JSON");
    }
  } else if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    data = Object.fromEntries(new URLSearchParams(text));
  } else if (text.trim()) {
    throw new SafekeepError("unsupported_media_type", "Send the key as application/json or a form");
  }
  const parsed = keyBody.safeParse(data);
  if (!parsed.success) throw new SafekeepError("invalid", "The key is not a private key or passphrase");
  return parsed.data.key;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A refusal the backup's page form gets as a page a person reads (the API keeps its JSON errors). */
function refusalPage(error: SafekeepError): Response {
  const html = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Not downloaded</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem"><h1>Not downloaded</h1>
<p role="alert">${escapeHtml(error.message)}</p><p><a href="/backups">Back to the backups</a></p></body>`;
  return new Response(html, { status: error.status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}

/** POST: the encrypted backup as its plain zip, decrypted as it streams out; no plaintext is written to disk. */
export async function downloadDecrypted(request: Request, caller: Caller, filename: string): Promise<Response> {
  const fromForm = /^application\/x-www-form-urlencoded\b/i.test(request.headers.get("content-type") ?? "");
  try {
    return await streamDecrypted(request, caller, filename);
  } catch (error) {
    if (fromForm && error instanceof SafekeepError) return refusalPage(error);
    throw error;
  }
}

async function streamDecrypted(request: Request, caller: Caller, filename: string): Promise<Response> {
  const name = backupFileNameSchema.safeParse(filename);
  if (!name.success) throw new SafekeepError("bad_request", "Not a backup file name");
  const { source, name: plainName } = await openDecryptedDownload(name.data, await readKey(request), caller);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (offset >= source.size) {
          controller.close();
          await source.close();
          return;
        }
        const chunk = await source.read(Math.min(CHUNK, source.size - offset), offset);
        offset += chunk.length;
        controller.enqueue(new Uint8Array(chunk));
      } catch (error) {
        // A chunk that does not authenticate: the client sees a short download, never altered bytes.
        controller.error(error);
        await source.close();
      }
    },
    async cancel() {
      await source.close();
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Length": String(source.size),
      "Content-Disposition": `attachment; filename="${plainName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
