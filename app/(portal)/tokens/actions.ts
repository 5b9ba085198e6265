"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { backupAction, type ActionState } from "@/lib/auth/action";
import { createApiToken, revokeApiToken, tokenNameSchema } from "@/lib/auth/tokens";
import { recordAudit } from "@/lib/audit";
import { notFound } from "@/lib/errors";

export type TokenResult = (ActionState & { token?: string }) | null;

export const createTokenAction = backupAction(z.object({ name: tokenNameSchema }), async ({ name }, { user, actor }) => {
  const created = await createApiToken(user.id, name);
  await recordAudit(actor, "token.create", `${name} (sk_${created.prefix})`);
  revalidatePath("/tokens");
  return { ok: true, message: `Token "${name}" created. Copy it now: it is not shown again.`, token: created.token };
});

export const revokeTokenAction = backupAction(
  z.object({
    id: z.coerce
      .number()
      .int()
      .positive()
      .max(2 ** 31),
  }),
  async ({ id }, { user, actor }) => {
    const revoked = await revokeApiToken(user.id, id);
    if (!revoked) throw notFound("No such token of yours, or already revoked");
    await recordAudit(actor, "token.revoke", revoked.name);
    revalidatePath("/tokens");
    return { ok: true, message: `Token "${revoked.name}" revoked` };
  },
);
