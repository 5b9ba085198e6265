import { appUrl } from "@/lib/config";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function refusal(status: 403 | 415, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The portal's own origins: the configured address, and the one this request was sent to. */
function ownOrigins(request: Request): Set<string> {
  const origins = new Set<string>();
  const configured = originOf(appUrl());
  if (configured) origins.add(configured);
  const host = request.headers.get("host");
  if (host) {
    const proto = request.headers.get("x-forwarded-proto") === "https" ? "https" : new URL(request.url).protocol.replace(":", "");
    const fromHost = originOf(`${proto}://${host}`);
    if (fromHost) origins.add(fromHost);
  }
  return origins;
}

/**
 * Refuses a state-changing API request that a page on another origin could have made with the visitor's
 * session cookie. SameSite=Lax does not stop a form on another origin of the same site (another port or
 * subdomain), and a `text/plain` form needs no preflight. So a cookie-authenticated POST, PUT, PATCH or
 * DELETE must say, by `Sec-Fetch-Site: same-origin` or an `Origin` equal to the portal's own, that it
 * comes from the portal's pages; browsers set both and pages cannot forge them. Requests with a Bearer
 * token are exempt: another page cannot make the browser send one. Any body must be JSON (for every
 * caller), so a form can never be taken for an API call.
 * Returns the refusal, or null when the request may go on.
 */
export function refuseCrossOriginWrite(request: Request, viaToken: boolean): Response | null {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  if (!viaToken) {
    const site = request.headers.get("sec-fetch-site");
    const origin = request.headers.get("origin");
    const sameOrigin =
      site !== null ? site === "same-origin" && (origin === null || ownOrigins(request).has(origin)) : origin !== null && ownOrigins(request).has(origin);
    if (!sameOrigin) {
      return refusal(
        403,
        "cross_origin",
        "Refused: this request did not come from Safekeep's own pages (its Origin or Sec-Fetch-Site header says another origin, or neither was sent). Nothing was changed. Scripts and other programs use a personal API token (Authorization: Bearer …).",
      );
    }
  }
  const hasBody = Number(request.headers.get("content-length") ?? 0) > 0 || request.headers.has("transfer-encoding");
  const type = request.headers.get("content-type") ?? "";
  if (hasBody && !/^application\/json\s*(;|$)/i.test(type)) {
    return refusal(415, "unsupported_media_type", "Send the request body as application/json (Content-Type: application/json). Nothing was changed.");
  }
  return null;
}
