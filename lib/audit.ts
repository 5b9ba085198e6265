import { prisma } from "@/lib/db";

export interface Actor {
  id: number | null;
  email: string | null;
  ip?: string | null;
}

export const systemActor: Actor = { id: null, email: "system" };

/** Who did what, when and from where. Never throws: a failed audit write must not undo the act. */
export async function recordAudit(actor: Actor, action: string, target?: string, details?: Record<string, unknown>) {
  try {
    await prisma.auditEvent.create({
      data: {
        actorId: actor.id,
        actorEmail: actor.email,
        ip: actor.ip ?? null,
        action,
        target: target ?? null,
        details: details ? JSON.stringify(details) : null,
      },
    });
  } catch (error) {
    console.error(`audit: could not record ${action}: ${(error as Error).message}`);
  }
}
