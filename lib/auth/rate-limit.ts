import { prisma } from "@/lib/db";

/**
 * Sign-in throttling, counted from the audit trail's own sign-in records: no second store to keep in
 * step, and it survives a restart. Two limits, neither of which lets someone lock a person out from where
 * they are:
 * - per account *and* address: after a few failures in a row from one address on one account, that pair
 *   waits, longer after each further failure (backoff); a success from that address resets it. Guesses
 *   from an attacker's address lock that address out of the account, never the owner at their own.
 * - per address: an address failing on many accounts is stopped for a while, whatever accounts it tries.
 * The address is the connection's peer, or what a proxy named in TRUSTED_PROXY says (lib/http/client-address.ts).
 */
export const MAX_FAILURES_PER_PAIR = 5;
export const FIRST_LOCK_MS = 15 * 60 * 1000;
export const MAX_LOCK_MS = 24 * 60 * 60 * 1000;
/** Failures older than this no longer count towards a pair's backoff. */
export const PAIR_MEMORY_MS = 24 * 60 * 60 * 1000;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ADDRESS = 20;

export class TooManyAttemptsError extends Error {
  constructor(readonly retryAfterMs: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    const wait = minutes < 120 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${Math.ceil(minutes / 60)} hours`;
    super(`Too many sign-in attempts. Try again in ${wait}.`);
  }
}

type Db = Pick<typeof prisma, "auditEvent">;

/** 15 minutes after the 5th failure in a row, doubling with each further one, at most a day. */
export function pairLockMs(failuresInARow: number): number {
  if (failuresInARow < MAX_FAILURES_PER_PAIR) return 0;
  return Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failuresInARow - MAX_FAILURES_PER_PAIR));
}

/** Throws TooManyAttemptsError while this account from this address, or this address, must wait. */
export async function assertSignInAllowed(email: string, ip: string | null, now = Date.now(), db: Db = prisma): Promise<void> {
  const memoryStart = new Date(now - PAIR_MEMORY_MS);
  const lastSuccess = await db.auditEvent.findFirst({
    where: { actorEmail: email, ip, action: "sign-in", at: { gt: memoryStart } },
    orderBy: { at: "desc" },
    select: { at: true },
  });
  const pairFailures = await db.auditEvent.findMany({
    where: { actorEmail: email, ip, action: "sign-in.failed", at: { gt: lastSuccess?.at ?? memoryStart } },
    orderBy: { at: "asc" },
    select: { at: true },
  });
  let retryAfter = 0;
  const lock = pairLockMs(pairFailures.length);
  if (lock > 0) retryAfter = pairFailures.at(-1)!.at.getTime() + lock - now;
  if (ip) {
    const addressFailures = await db.auditEvent.findMany({
      where: { ip, action: "sign-in.failed", at: { gt: new Date(now - SIGN_IN_WINDOW_MS) } },
      orderBy: { at: "asc" },
      select: { at: true },
    });
    if (addressFailures.length >= MAX_FAILURES_PER_ADDRESS) {
      // Free again once enough of these failures have left the window.
      const freeing = addressFailures[addressFailures.length - MAX_FAILURES_PER_ADDRESS]!.at.getTime() + SIGN_IN_WINDOW_MS;
      retryAfter = Math.max(retryAfter, freeing - now);
    }
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

/** The attempt was right after all: it becomes the sign-in record (which also resets the pair's count). */
export async function signInSucceeded(attemptId: number, user: { id: number; email: string }): Promise<void> {
  await prisma.auditEvent.update({ where: { id: attemptId }, data: { action: "sign-in", actorId: user.id, actorEmail: user.email, at: new Date() } });
}
