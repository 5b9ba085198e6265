import { z } from "zod";
import { adminAccess, backupAccess, callerFor, type Decide } from "@/lib/auth/caller";
import type { Caller } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";

/** What every server action answers; the form shows `message`, and `errors` beside their fields. */
export interface ActionState {
  ok: boolean;
  status?: number;
  message: string;
  errors?: Record<string, string[] | undefined>;
}

// `previous` is what useActionState hands back; no action reads it.
type Action<R> = (previous: unknown, form: FormData) => Promise<R | ActionState>;

/**
 * Every exported server action is a public POST endpoint, so each goes through this: access first, then
 * the form's fields through zod, then the body; a SafekeepError becomes a result with the error table's
 * status. (A redirect from the body passes through: Next.js signals it with its own error.)
 */
export function guardedAction<S extends z.ZodType, R extends ActionState>(
  decide: Decide,
  schema: S,
  body: (input: z.infer<S>, caller: Caller) => Promise<R>,
): Action<R> {
  return async (_previous, form) => {
    try {
      const caller = await callerFor(decide);
      const input = schema.safeParse(Object.fromEntries(form));
      if (!input.success) {
        return {
          ok: false,
          status: 422,
          message: input.error.issues[0]!.message,
          errors: z.flattenError(input.error).fieldErrors as Record<string, string[]>,
        };
      }
      return await body(input.data, caller);
    } catch (error) {
      if (error instanceof SafekeepError) return { ok: false, status: error.status, message: error.message };
      throw error;
    }
  };
}

export const backupAction = <S extends z.ZodType, R extends ActionState>(schema: S, body: (input: z.infer<S>, caller: Caller) => Promise<R>) =>
  guardedAction(backupAccess, schema, body);

export const adminAction = <S extends z.ZodType, R extends ActionState>(schema: S, body: (input: z.infer<S>, caller: Caller) => Promise<R>) =>
  guardedAction(adminAccess, schema, body);
