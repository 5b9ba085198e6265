import { z } from "zod";

export const MAX_JSON_BODY_BYTES = 16 * 1024;

export class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415, message: string) {
    super(message);
  }
}

/**
 * Reads an optional JSON body, stopping at `maxBytes` whatever Content-Length claims, then validates it.
 * An empty body counts as `{}`.
 */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T, maxBytes = MAX_JSON_BODY_BYTES): Promise<z.infer<T>> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw new BodyError(413, `The request body is larger than ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new BodyError(413, `The request body is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text !== "") {
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) throw new BodyError(415, "Send the body as application/json");
  }
  let data: unknown = {};
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      throw new BodyError(400, "The request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new BodyError(400, `Invalid request body: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Nothing is accepted yet: an empty body or `{}`; anything else is refused rather than ignored. */
export const emptyObjectSchema = z.strictObject({});
