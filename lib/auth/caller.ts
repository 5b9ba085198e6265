import { decideAdminAccess, decideBackupAccess, messageFor, statusFor, type AccessDecision } from "@/lib/auth/access";
import { actorFor, currentUser } from "@/lib/auth/session";
import type { Caller } from "@/lib/backup";
import { SafekeepError, type ErrorCode } from "@/lib/errors";
import { loadSettings, type Settings } from "@/lib/settings";
import type { PortalUser } from "@/lib/users";

export type Decide = (user: PortalUser | null, settings: Settings) => AccessDecision;

export const backupAccess: Decide = decideBackupAccess;
export const adminAccess: Decide = (user) => decideAdminAccess(user);

const codeFor: Record<Exclude<AccessDecision, "ok">, ErrorCode> = {
  "not-found": "not_found",
  unauthenticated: "unauthenticated",
  forbidden: "forbidden",
};

/**
 * The caller if `decide` lets them in, else a SafekeepError with the status the policy gives (404 while
 * the module is off, 401 without a session or token, 403 without access).
 */
export async function callerFor(decide: Decide, findUser: () => Promise<PortalUser | null> = currentUser): Promise<Caller> {
  const [user, settings] = await Promise.all([findUser(), loadSettings()]);
  const decision = decide(user, settings);
  if (decision !== "ok") {
    const error = new SafekeepError(codeFor[decision], messageFor[decision]);
    // The table maps codes to statuses; the access policy has its own, which must agree.
    if (error.status !== statusFor[decision]) throw new Error(`access status mismatch for ${decision}`);
    throw error;
  }
  return { user: user!, settings, actor: await actorFor(user!) };
}
