import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { findPortalUser, type PortalUser } from "@/lib/users";

// sk_<prefix>_<secret>: the prefix finds the record and is safe to show; the secret is never stored.
const TOKEN_PATTERN = /^sk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const tokenNameSchema = z.string().trim().min(1, "Give the token a name").max(100, "At most 100 characters");

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(userId: number, name: string): Promise<{ id: number; token: string; prefix: string }> {
  const prefix = randomBytes(6).toString("hex");
  const token = `sk_${prefix}_${randomBytes(32).toString("base64url")}`;
  const record = await prisma.apiToken.create({ data: { userId, name: tokenNameSchema.parse(name), prefix, tokenHash: hashToken(token) } });
  return { id: record.id, token, prefix };
}

/** The user a bearer token stands for, or null for a malformed, unknown or revoked token. */
export async function userForToken(token: string): Promise<PortalUser | null> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const record = await prisma.apiToken.findUnique({ where: { prefix: match[1] } });
  if (!record || record.revokedAt) return null;
  const expected = Buffer.from(record.tokenHash, "hex");
  const actual = Buffer.from(hashToken(token), "hex");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  await prisma.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: new Date() } });
  return findPortalUser(record.userId);
}

/** Revokes one of the user's own tokens; false when it is not theirs or already revoked. */
export async function revokeApiToken(userId: number, id: number): Promise<{ name: string } | null> {
  const record = await prisma.apiToken.findFirst({ where: { id, userId, revokedAt: null } });
  if (!record) return null;
  await prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  return { name: record.name };
}

export function listApiTokens(userId: number) {
  return prisma.apiToken.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}

/** `Authorization: Bearer <token>`: undefined when the header is absent, the token otherwise ("" if malformed). */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
}
