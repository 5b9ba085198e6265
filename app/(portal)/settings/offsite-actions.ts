"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { adminAction, type ActionState } from "@/lib/auth/action";
import { checkOffsiteDestination, destinationFormSchema, removeOffsiteDestination, saveOffsiteDestination, type DestinationCheck } from "@/lib/backup";

export type OffsiteResult = (ActionState & { checks?: DestinationCheck[] }) | null;

const idOnly = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "No such destination") });

/** Adds or changes an offsite destination (admins only); the secret's mask keeps the stored secret. */
export const saveDestinationAction = adminAction(destinationFormSchema, async (form, caller): Promise<ActionState> => {
  const saved = await saveOffsiteDestination(form, caller);
  if (!saved.ok) return { ok: false, status: 422, message: saved.message, errors: saved.errors };
  revalidatePath("/settings");
  return saved;
});

export const removeDestinationAction = adminAction(idOnly, async ({ id }, caller): Promise<ActionState> => {
  await removeOffsiteDestination(id, caller);
  revalidatePath("/settings");
  return { ok: true, message: "Destination removed (copies already in the bucket stay there)" };
});

/** Lists, writes, reads back and deletes a probe object in the saved destination. */
export const checkDestinationAction = adminAction(idOnly, async ({ id }, caller) => {
  const checks = await checkOffsiteDestination(id, caller);
  const ok = checks.length === 4 && checks.every((c) => c.ok);
  return {
    ok,
    message: ok ? "The destination works: list, write, read and delete all succeeded" : (checks.find((c) => !c.ok)?.message ?? "Check failed"),
    checks,
  };
});
