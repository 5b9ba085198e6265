import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { authOptions } from "@/lib/auth/options";
import { findPortalUser, type PortalUser } from "@/lib/users";
import type { Actor } from "@/lib/audit";
import { rememberSiteOrigin } from "@/lib/site-url";

/** The signed-in user, read from the database on every call so a role change takes effect at once. */
export async function currentUser(): Promise<PortalUser | null> {
  const session = (await getServerSession(authOptions)) as { uid?: number | null } | null;
  if (!session?.uid) return null;
  const user = await findPortalUser(session.uid);
  // The address an admin uses is the one mail links should use (when APP_URL is not set). Admins only:
  // anyone else could send a forged Host header with their own cookie and point the admins' mails elsewhere.
  if (user?.role === "admin") await rememberSiteOrigin(await headers());
  return user;
}

export async function actorFor(user: PortalUser): Promise<Actor> {
  const h = await headers();
  const ip = h.get("x-forwarded-for")?.split(",")[0]?.trim() ?? h.get("x-real-ip") ?? null;
  return { id: user.id, email: user.email, ip };
}
