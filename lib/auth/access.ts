import type { Settings } from "@/lib/settings";
import { MANAGE_BACKUPS, type PortalUser } from "@/lib/users";

/** The whole access policy, in one pure function per area, so pages, actions and routes cannot disagree. */
export type AccessDecision = "ok" | "not-found" | "unauthenticated" | "forbidden";

/**
 * Backups: while the module is disabled it does not exist for anybody (404). Once enabled, sign-in is
 * needed; then `backupAccess` decides: `admin` means holders of manage-backups, `user` any signed-in user.
 */
export function decideBackupAccess(user: PortalUser | null, settings: Pick<Settings, "enableBackupModule" | "backupAccess">): AccessDecision {
  if (!settings.enableBackupModule) return "not-found";
  if (!user) return "unauthenticated";
  if (settings.backupAccess === "user") return "ok";
  return user.permissions.includes(MANAGE_BACKUPS) ? "ok" : "forbidden";
}

/** Settings are for admins only, whether or not the module is enabled (that is where it gets enabled). */
export function decideAdminAccess(user: PortalUser | null): AccessDecision {
  if (!user) return "unauthenticated";
  return user.role === "admin" ? "ok" : "forbidden";
}

export const statusFor: Record<Exclude<AccessDecision, "ok">, number> = {
  "not-found": 404,
  unauthenticated: 401,
  forbidden: 403,
};

export const messageFor: Record<Exclude<AccessDecision, "ok">, string> = {
  "not-found": "Not found",
  unauthenticated: "Sign in first, or send a valid API token",
  forbidden: "You do not have access to backups",
};
