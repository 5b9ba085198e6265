import { headers } from "next/headers";
import { sessionClaims } from "@/lib/auth/session-claims";
import { userForSession } from "@/lib/auth/session-version";
import type { PortalUser } from "@/lib/users";
import type { Actor } from "@/lib/audit";
import { clientAddress } from "@/lib/http/client-address";
import { rememberSiteOrigin } from "@/lib/site-url";

/**
 * The signed-in user, read from the database on every call so a role change takes effect at once, and
 * only while the session's version is the user's current one (sign-out and password changes end it).
 */
export async function currentUser(): Promise<PortalUser | null> {
  const user = await userForSession(await sessionClaims());
  // The address an admin uses is the one mail links should use (when APP_URL is not set). Admins only:
  // anyone else could send a forged Host header with their own cookie and point the admins' mails elsewhere.
  if (user?.role === "admin") await rememberSiteOrigin(await headers());
  return user;
}

export async function actorFor(user: PortalUser): Promise<Actor> {
  return { id: user.id, email: user.email, ip: clientAddress(await headers()) };
}
