"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { backupAction, type ActionState } from "@/lib/auth/action";
import { pushOffsite } from "@/lib/backup";

/** Copy offsite again: starts `backup:push <id>` in the background, resuming a half-done upload. */
export const pushOffsiteAction = backupAction(
  z.object({
    id: z.coerce
      .number()
      .int()
      .positive()
      .max(2 ** 31),
  }),
  async ({ id }, caller): Promise<ActionState> => {
    const message = await pushOffsite(id, caller);
    revalidatePath(`/backups/${id}`);
    return { ok: true, message };
  },
);
