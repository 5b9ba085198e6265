import { randomBytes } from "node:crypto";
import argon2 from "argon2";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { keptUntilChange } from "@/lib/db-generation";

export const MANAGE_BACKUPS = "manage-backups";
export const roleNames = ["admin", "user"] as const;
export type RoleName = (typeof roleNames)[number];

export const newUserSchema = z.object({
  // Loose on purpose: admin@localhost is a fine address for a portal on one machine.
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(200)
    .regex(/^[^\s@]+@[^\s@]+$/, "Not an email address"),
  name: z.string().trim().max(100).optional(),
  role: z.enum(roleNames),
  password: z.string().min(12, "At least 12 characters").max(200),
});

export interface PortalUser {
  id: number;
  email: string;
  name: string | null;
  role: string;
  permissions: string[];
  /** Sessions signed in under another version have ended (lib/auth/session-version.ts). */
  sessionVersion: number;
}

export function hashPassword(password: string): Promise<string> {
  // argon2id: memory-hard, so a stolen database does not give away passwords cheaply.
  return argon2.hash(password, { type: argon2.argon2id });
}

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

export async function createUser(input: z.input<typeof newUserSchema>): Promise<PortalUser> {
  const data = newUserSchema.parse(input);
  const role = await prisma.role.findUniqueOrThrow({ where: { name: data.role } });
  const user = await prisma.user.create({
    data: { email: data.email, name: data.name ?? null, passwordHash: await hashPassword(data.password), roleId: role.id },
  });
  return (await findPortalUser(user.id))!;
}

/** Read on every request (sessions, tokens): kept until the database changes (lib/db-generation.ts). */
export const findPortalUser = keptUntilChange(readPortalUser);

async function readPortalUser(id: number): Promise<PortalUser | null> {
  const user = await prisma.user.findUnique({ where: { id }, include: { role: { include: { permissions: true } } } });
  if (!user) return null;
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role.name,
    permissions: user.role.permissions.map((p) => p.name),
    sessionVersion: user.sessionVersion,
  };
}

/** Checks a password in constant work whether or not the account exists, so timing tells nothing. */
export async function verifyCredentials(email: string, password: string): Promise<PortalUser | null> {
  const user = await prisma.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  const hash = user?.passwordHash ?? DUMMY_HASH;
  const ok = await argon2.verify(hash, password).catch(() => false);
  return ok && user ? findPortalUser(user.id) : null;
}

// A hash of a random password, used only to spend the same time on unknown accounts.
const DUMMY_HASH = "$argon2id$v=19$m=65536,p=4,t=3$htSXT3ZIUH5Ar5m1c4P1hQ$jI2J308QdCiqznkDdQ2OrmHz8AtgwbV0cSFK5SZme+g";
