import { forbidden, notFound, redirect } from "next/navigation";
import { decideAdminAccess, decideBackupAccess, type AccessDecision } from "@/lib/auth/access";
import { requestSettings, requestUser } from "@/lib/auth/request-cache";
import type { Settings } from "@/lib/settings";
import type { PortalUser } from "@/lib/users";

// Pages only. Server actions go through lib/auth/action.ts, route handlers through lib/auth/route.ts.

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
  const [user, settings] = await Promise.all([requestUser(), requestSettings()]);
  enforceOnPage(decideBackupAccess(user, settings), returnTo);
  return { user: user!, settings };
}

export async function requireAdminPage(returnTo: string): Promise<Granted> {
  const [user, settings] = await Promise.all([requestUser(), requestSettings()]);
  enforceOnPage(decideAdminAccess(user), returnTo);
  return { user: user!, settings };
}
