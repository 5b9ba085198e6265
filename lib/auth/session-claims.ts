import { getServerSession } from "next-auth";
import { cookies, headers } from "next/headers";
import { authOptions } from "@/lib/auth/options";

export interface SessionClaims {
  uid?: number | null;
  sv?: number | null;
}

/**
 * next-auth's getServerSession derives a key, decrypts the cookie, and encrypts a refreshed one that a
 * route handler cannot even send: most of a millisecond per request, for a page that asks every second.
 * What it concludes from the same cookies and the same address is kept for a few seconds, about the
 * clock tolerance next-auth already allows an expired token. Revocation does not wait for it: the
 * session's version is checked against the user's record on every request (session-version.ts).
 */
const KEEP_MS = 15_000;
const MAX_KEPT = 1_000;
const kept = new Map<string, { claims: SessionClaims; at: number }>();

export async function sessionClaims(): Promise<SessionClaims | null> {
  const [jar, requestHeaders] = await Promise.all([cookies(), headers()]);
  const tokens = jar
    .getAll()
    .filter((cookie) => cookie.name.includes("next-auth.session-token"))
    .map((cookie) => [cookie.name, cookie.value]);
  if (tokens.length === 0) return null;
  // Everything next-auth decides the cookie's name and validity from.
  const key = JSON.stringify([
    process.env.NEXTAUTH_URL ?? "",
    requestHeaders.get("x-forwarded-host"),
    requestHeaders.get("host"),
    requestHeaders.get("x-forwarded-proto"),
    tokens,
  ]);
  const now = Date.now();
  const hit = kept.get(key);
  if (hit && now - hit.at < KEEP_MS) return { ...hit.claims };
  const claims = (await getServerSession(authOptions)) as SessionClaims | null;
  if (kept.size >= MAX_KEPT) kept.clear();
  if (claims) kept.set(key, { claims: { uid: claims.uid, sv: claims.sv }, at: now });
  else kept.delete(key);
  return claims;
}
