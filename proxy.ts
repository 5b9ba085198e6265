import { NextResponse, type NextRequest } from "next/server";

/**
 * A fresh nonce per page request: the only script policy the App Router's inline bootstrap and runtime
 * chunk loading survive without 'unsafe-inline' ('strict-dynamic' trusts what the nonced scripts load).
 * Styles keep 'unsafe-inline': React writes style attributes (progress bars); scripts never run from it.
 */
export function contentSecurityPolicy(nonce: string): string {
  const dev = process.env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Next's own limit for server action bodies (serverActions.bodySizeLimit, 1 MB by default). */
const MAX_ACTION_BODY_BYTES = 1024 * 1024;

function refuse(status: number, code: string, message: string) {
  return NextResponse.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });
}

/** A path whose percent-encoding is not valid UTF-8 would make the router throw (a 500): refuse it here. */
function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function proxy(request: NextRequest) {
  if (!decodable(request.nextUrl.pathname)) return refuse(400, "bad_request", "Malformed URL encoding");
  // Next refuses an oversized action body too, but as a 500 after reading it: say 413 before.
  const length = Number(request.headers.get("content-length") ?? 0);
  if (request.headers.has("next-action") && length > MAX_ACTION_BODY_BYTES) {
    return refuse(413, "too_large", "The form is larger than 1 MB");
  }
  if (request.nextUrl.pathname.startsWith("/api/")) return NextResponse.next();
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const requestHeaders = new Headers(request.headers);
  // Next reads the nonce from the request's CSP header and puts it on every script it renders.
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  // Everything but static files; API routes get their fixed policy from next.config.ts.
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
