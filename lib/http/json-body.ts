import { z } from "zod";
import { SafekeepError } from "@/lib/errors";

export const MAX_JSON_BODY_BYTES = 16 * 1024;

/** `invalidCode`: what a body that parses but does not fit the schema is (400 for "send nothing", 422 for a form-like request). */
interface BodyOptions {
  maxBytes?: number;
  invalidCode?: "bad_request" | "invalid";
}

/**
 * Reads an optional JSON body, stopping at `maxBytes` whatever Content-Length claims, then validates it.
 * An empty body counts as `{}`.
 */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T, options: BodyOptions = {}): Promise<z.infer<T>> {
  const maxBytes = options.maxBytes ?? MAX_JSON_BODY_BYTES;
  const tooLarge = () => new SafekeepError("too_large", `The request body is larger than ${maxBytes} bytes`);
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw tooLarge();
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
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text !== "") {
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) throw new SafekeepError("unsupported_media_type", "Send the body as application/json");
  }
  let data: unknown = {};
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      throw new SafekeepError("bad_request", "The request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
    throw new SafekeepError(options.invalidCode ?? "bad_request", `Invalid request body: ${detail}`);
  }
  return parsed.data;
}

/** Nothing is accepted yet: an empty body or `{}`; anything else is refused rather than ignored. */
export const emptyObjectSchema = z.strictObject({});
