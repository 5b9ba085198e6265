import { z } from "zod";
import { prisma } from "@/lib/db";
import { findPortalUser, hashPassword, newUserSchema, roleNames, type PortalUser } from "@/lib/users";

/**
 * Sessions are stateless tokens (JWT) the browser holds for 8 hours. Each carries the user's session
 * version from sign-in; `userForSession` accepts it only while it is still the user's current version, so
 * raising the version ends every session of that user at the next request. Tokens from before versions
 * existed carry none and count as version 0.
 */
export async function userForSession(claims: { uid?: number | null; sv?: number | null } | null): Promise<PortalUser | null> {
  if (!claims?.uid) return null;
  const user = await findPortalUser(claims.uid);
  if (!user || user.sessionVersion !== (claims.sv ?? 0)) return null;
  return user;
}

/** Ends every session of this user (sign-out; and below, a new password or role). */
export async function endAllSessions(userId: number): Promise<void> {
  await prisma.user.updateMany({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
}

/** A new password ends the user's sessions: whoever had one, with the old password, is out. */
export async function changePassword(userId: number, password: string): Promise<void> {
  const parsed = newUserSchema.shape.password.parse(password);
  await prisma.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(parsed), sessionVersion: { increment: 1 } } });
}

/** A new role ends the user's sessions, so they sign in again under it. */
export async function changeRole(userId: number, role: (typeof roleNames)[number]): Promise<void> {
  const name = z.enum(roleNames).parse(role);
  const found = await prisma.role.findUniqueOrThrow({ where: { name } });
  await prisma.user.update({ where: { id: userId }, data: { roleId: found.id, sessionVersion: { increment: 1 } } });
}

/** A deleted user's sessions end with the record (`userForSession` finds no one); tokens go with it. */
export async function deleteUser(userId: number): Promise<void> {
  await prisma.$transaction([prisma.apiToken.deleteMany({ where: { userId } }), prisma.user.delete({ where: { id: userId } })]);
}
