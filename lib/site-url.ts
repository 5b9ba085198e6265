import { z } from "zod";
import { prisma } from "@/lib/db";
import { settingRows } from "@/lib/settings";

/**
 * Where the portal is reached. Nothing assumes port 3000: APP_URL when set (behind a proxy, the public
 * address), otherwise the address each request came to. Mails, sent by background processes that see no
 * request, use APP_URL or else the address an admin last used (stored), which is the one that worked
 * for them.
 */

const ORIGIN_KEY = "siteOrigin";
const FALLBACK = "http://localhost:3000";

/**
 * next-auth v4 builds its redirects (after sign-in, sign-out) from NEXTAUTH_URL, and without it from
 * "http://localhost:3000" — unless AUTH_TRUST_HOST is set, when it uses the request's x-forwarded-host
 * (which Next.js fills from Host) and x-forwarded-proto (next-auth/utils/detect-origin.js). So: APP_URL
 * stands for NEXTAUTH_URL when only it is given, and with neither the request's own origin is used.
 */
export function configureAuthOrigin(env: Record<string, string | undefined> = process.env): void {
  // An empty NEXTAUTH_URL makes next-auth's URL parsing throw; it means "not set".
  if (env.NEXTAUTH_URL !== undefined && env.NEXTAUTH_URL.trim() === "") delete env.NEXTAUTH_URL;
  if (env.NEXTAUTH_URL) return;
  if (env.APP_URL?.trim()) env.NEXTAUTH_URL = env.APP_URL.trim().replace(/\/$/, "");
  else env.AUTH_TRUST_HOST ??= "true";
}

const hostSchema = z
  .string()
  .max(300)
  .regex(/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/);

/** The origin a request came to, from the headers Next.js sets (x-forwarded-*, else Host); null when odd. */
export function requestOrigin(headers: { get(name: string): string | null }): string | null {
  const host = (headers.get("x-forwarded-host") ?? headers.get("host") ?? "").split(",")[0]!.trim();
  const proto = (headers.get("x-forwarded-proto") ?? "http").split(",")[0]!.trim().toLowerCase();
  if (!hostSchema.safeParse(host).success || (proto !== "http" && proto !== "https")) return null;
  return `${proto}://${host}`;
}

/**
 * Stores the origin an admin reached the portal at, for the links in mails. Only admins' requests count
 * (lib/auth/session.ts): nobody else's forged Host header lands in a mail. Written only when it changes.
 */
export async function rememberSiteOrigin(headers: { get(name: string): string | null }): Promise<void> {
  const origin = requestOrigin(headers);
  if (!origin) return;
  const value = JSON.stringify(origin);
  // Read before writing, not remembered in memory: the stored row is the truth (it can be reset or lost).
  const stored = (await settingRows().catch(() => [])).find((row) => row.key === ORIGIN_KEY);
  if (stored?.value === value) return;
  await prisma.setting.upsert({ where: { key: ORIGIN_KEY }, create: { key: ORIGIN_KEY, value }, update: { value } }).catch(() => {});
}

export interface MailLinkBase {
  url: string;
  source: "APP_URL" | "NEXTAUTH_URL" | "last used" | "default";
}

/** The address mail links start with, and where it comes from (shown on the settings page). */
export async function mailLinkBase(env: Record<string, string | undefined> = process.env): Promise<MailLinkBase> {
  const clean = (url: string) => url.trim().replace(/\/$/, "");
  if (env.APP_URL?.trim()) return { url: clean(env.APP_URL), source: "APP_URL" };
  if (env.NEXTAUTH_URL?.trim()) return { url: clean(env.NEXTAUTH_URL), source: "NEXTAUTH_URL" };
  const row = await prisma.setting.findUnique({ where: { key: ORIGIN_KEY } }).catch(() => null);
  if (row) {
    try {
      const stored = JSON.parse(row.value) as unknown;
      if (typeof stored === "string" && /^https?:\/\//.test(stored)) return { url: stored, source: "last used" };
    } catch {
      // A damaged row: the default below.
    }
  }
  return { url: FALLBACK, source: "default" };
}
