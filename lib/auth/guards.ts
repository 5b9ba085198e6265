import { forbidden, notFound, redirect } from "next/navigation";
import { NextResponse } from "next/server";
import { decideAdminAccess, decideBackupAccess, messageFor, statusFor, type AccessDecision } from "@/lib/auth/access";
import { currentUser } from "@/lib/auth/session";
import { bearerToken, userForToken } from "@/lib/auth/tokens";
import { refuseCrossOriginWrite } from "@/lib/http/same-origin";
import { loadSettings, type Settings } from "@/lib/settings";
import type { PortalUser } from "@/lib/users";

export interface Granted {
  user: PortalUser;
  settings: Settings;
}

function enforceOnPage(decision: AccessDecision, returnTo: string): void {
  if (decision === "not-found") notFound();
  if (decision === "unauthenticated") redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (decision === "forbidden") forbidden();
}

/** For backup pages: 404 while disabled, sign-in when anonymous, 403 without access. */
export async function requireBackupPage(returnTo: string): Promise<Granted> {
  const [user, settings] = await Promise.all([currentUser(), loadSettings()]);
  enforceOnPage(decideBackupAccess(user, settings), returnTo);
  return { user: user!, settings };
}

export async function requireAdminPage(returnTo: string): Promise<Granted> {
  const [user, settings] = await Promise.all([currentUser(), loadSettings()]);
  enforceOnPage(decideAdminAccess(user), returnTo);
  return { user: user!, settings };
}

export type Denied = { ok: false; status: number; message: string };

async function check(
  decide: (user: PortalUser | null, settings: Settings) => AccessDecision,
  findUser: () => Promise<PortalUser | null> = currentUser,
) {
  const [user, settings] = await Promise.all([findUser(), loadSettings()]);
  const decision = decide(user, settings);
  if (decision === "ok") return { ok: true as const, user: user!, settings };
  return { ok: false as const, status: statusFor[decision], message: messageFor[decision] };
}

/** For server actions: every action is a public POST endpoint, so each one calls this first. */
export function checkBackupAccess(): Promise<({ ok: true } & Granted) | Denied> {
  return check(decideBackupAccess);
}

export function checkAdminAccess(): Promise<({ ok: true } & Granted) | Denied> {
  return check((user) => decideAdminAccess(user));
}

export function jsonError(status: number, code: string, message: string): NextResponse {
  return NextResponse.json({ error: { code, message } }, { status });
}

type RouteContext<P> = { params: Promise<P> };

/** Wraps a route handler once so no route can forget the check. */
export function withBackupAccess<P>(
  handler: (request: Request, granted: Granted, params: P) => Promise<Response>,
): (request: Request, context: RouteContext<P>) => Promise<Response> {
  return async (request, context) => {
    // API callers sign in with the session cookie or a personal token; a token, once sent, must be valid.
    const token = bearerToken(request);
    const access = await check(decideBackupAccess, token === undefined ? currentUser : () => userForToken(token));
    if (!access.ok) {
      const code = access.status === 404 ? "not_found" : access.status === 401 ? "unauthenticated" : "forbidden";
      return jsonError(access.status, code, access.message);
    }
    return refuseCrossOriginWrite(request, token !== undefined) ?? handler(request, access, await context.params);
  };
}
