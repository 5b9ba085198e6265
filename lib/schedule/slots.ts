import { prisma } from "@/lib/db";
import type { ScheduleName } from "@/lib/schedule/plan";

const stateKey = (name: ScheduleName) => `scheduleState:${name}`;

export interface SlotState {
  lastRun: Date;
  /** The stored text, compared on claim: whoever changed it first owns the slot. */
  stored: string;
}

export async function readSlotState(name: ScheduleName): Promise<SlotState | null> {
  const row = await prisma.setting.findUnique({ where: { key: stateKey(name) } });
  return row ? { lastRun: new Date(JSON.parse(row.value) as string), stored: row.value } : null;
}

/**
 * Records `at` as the schedule's last run, only if nobody did since `seen` was read: a compare-and-set on
 * the row, so two schedulers (the portal's and `npm run schedule`, or two portals on one database) looking
 * at the same moment cannot both claim a slot. True when this caller got it.
 */
export async function claimSlot(name: ScheduleName, seen: SlotState | null, at: Date): Promise<boolean> {
  const key = stateKey(name);
  const value = JSON.stringify(at.toISOString());
  if (!seen) {
    try {
      await prisma.setting.create({ data: { key, value } });
      return true;
    } catch (error) {
      if ((error as { code?: string })?.code === "P2002") return false;
      throw error;
    }
  }
  const claimed = await prisma.setting.updateMany({ where: { key, value: seen.stored }, data: { value } });
  return claimed.count === 1;
}
