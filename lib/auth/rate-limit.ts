import { prisma } from "@/lib/db";

/**
 * Sign-in throttling, counted from the audit trail's own sign-in records (a sliding window): no second
 * store to keep in step, and it survives a restart. An account locks after a few failures in a row (a
 * success resets it); an address after more, across all the accounts it tries.
 */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export class TooManyAttemptsError extends Error {
  constructor(readonly retryAfterMs: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    super(`Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
  }
}

async function failuresSince(db: Db, where: { actorEmail?: string; ip?: string }, since: Date) {
  return db.auditEvent.findMany({
    where: { ...where, action: "sign-in.failed", at: { gt: since } },
    orderBy: { at: "asc" },
    select: { at: true },
  });
}

type Db = Pick<typeof prisma, "auditEvent">;

/** Throws TooManyAttemptsError while `email` or `ip` is locked out; says for how long. */
export async function assertSignInAllowed(email: string, ip: string | null, now = Date.now(), db: Db = prisma): Promise<void> {
  const windowStart = new Date(now - SIGN_IN_WINDOW_MS);
  const lastSuccess = await db.auditEvent.findFirst({
    where: { actorEmail: email, action: "sign-in", at: { gt: windowStart } },
    orderBy: { at: "desc" },
    select: { at: true },
  });
  const checks: [Promise<{ at: Date }[]>, number][] = [
    [failuresSince(db, { actorEmail: email }, lastSuccess?.at ?? windowStart), MAX_FAILURES_PER_ACCOUNT],
  ];
  if (ip) checks.push([failuresSince(db, { ip }, windowStart), MAX_FAILURES_PER_ADDRESS]);
  let retryAfter = 0;
  for (const [query, max] of checks) {
    const failures = await query;
    if (failures.length < max) continue;
    // Unlocked once enough of these failures have left the window.
    const freeing = failures[failures.length - max]!.at.getTime() + SIGN_IN_WINDOW_MS;
    retryAfter = Math.max(retryAfter, freeing - now);
  }
  if (retryAfter > 0) throw new TooManyAttemptsError(retryAfter);
}

/**
 * Checks the limits and records the attempt as failed in one transaction, before the password is even
 * verified: parallel guesses each count at once instead of all passing the check while the first is
 * still being verified. Returns the record's id, for `signInSucceeded`.
 */
export async function beginSignInAttempt(email: string, ip: string | null): Promise<number> {
  return prisma.$transaction(async (tx) => {
    await assertSignInAllowed(email, ip, Date.now(), tx);
    const event = await tx.auditEvent.create({ data: { actorEmail: email, ip, action: "sign-in.failed" } });
    return event.id;
  });
}

/** The attempt was right after all: it becomes the sign-in record (which also resets the account's count). */
export async function signInSucceeded(attemptId: number, user: { id: number; email: string }): Promise<void> {
  await prisma.auditEvent.update({ where: { id: attemptId }, data: { action: "sign-in", actorId: user.id, actorEmail: user.email, at: new Date() } });
}
