"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { checkBackupAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { createApiToken, revokeApiToken, tokenNameSchema } from "@/lib/auth/tokens";

export type TokenResult = { ok: boolean; status?: number; message: string; token?: string } | null;

export async function createTokenAction(_prev: TokenResult, form: FormData): Promise<TokenResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const name = tokenNameSchema.safeParse(form.get("name"));
  if (!name.success) return { ok: false, status: 422, message: name.error.issues[0]!.message };
  const created = await createApiToken(access.user.id, name.data);
  await recordAudit(await actorFor(access.user), "token.create", `${name.data} (sk_${created.prefix})`);
  revalidatePath("/tokens");
  return { ok: true, message: `Token "${name.data}" created. Copy it now: it is not shown again.`, token: created.token };
}

export async function revokeTokenAction(_prev: TokenResult, form: FormData): Promise<TokenResult> {
  const access = await checkBackupAccess();
  if (!access.ok) return access;
  const id = z.coerce.number().int().positive().max(2 ** 31).safeParse(form.get("id"));
  if (!id.success) return { ok: false, status: 422, message: "No such token" };
  const revoked = await revokeApiToken(access.user.id, id.data);
  if (!revoked) return { ok: false, status: 404, message: "No such token of yours, or already revoked" };
  await recordAudit(await actorFor(access.user), "token.revoke", revoked.name);
  revalidatePath("/tokens");
  return { ok: true, message: `Token "${revoked.name}" revoked` };
}
