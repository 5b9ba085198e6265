import { z } from "zod";
import { prisma } from "@/lib/db";
import { nextRuns } from "@/lib/schedule/plan";
import type { Settings } from "@/lib/settings";

const KEY = "schedulerHeartbeat";

export type SchedulerPlace = "portal" | "command line";

const heartbeatSchema = z.object({
  at: z.string(),
  pid: z.number().int(),
  where: z.enum(["portal", "command line"]),
  intervalMs: z.number().positive(),
});
export type SchedulerHeartbeat = z.infer<typeof heartbeatSchema>;

/** Written by every scheduler each time it looks, so the Backups page can tell whether one is alive. */
export async function recordSchedulerHeartbeat(where: SchedulerPlace, intervalMs: number, now = new Date()): Promise<void> {
  const value = JSON.stringify({ at: now.toISOString(), pid: process.pid, where, intervalMs } satisfies SchedulerHeartbeat);
  await prisma.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
}

export async function readSchedulerHeartbeat(): Promise<SchedulerHeartbeat | null> {
  const row = await prisma.setting.findUnique({ where: { key: KEY } }).catch(() => null);
  if (!row) return null;
  try {
    const parsed = heartbeatSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface SchedulerStatus {
  state: "running" | "missing" | "no-schedule";
  where: SchedulerPlace | null;
  lastSeenAt: string | null;
  nextRunAt: string | null;
  /** One sentence for the health line; for "missing", what to do about it. */
  sentence: string;
}

/** A scheduler that has not looked for three of its own intervals (at least three minutes) is taken as gone. */
function isAlive(beat: SchedulerHeartbeat, now: Date): boolean {
  return now.getTime() - new Date(beat.at).getTime() <= Math.max(3 * 60_000, 3 * beat.intervalMs);
}

export async function schedulerStatus(settings: Settings, now = new Date()): Promise<SchedulerStatus> {
  const next = [settings.scheduleDaily, settings.scheduleWeekly]
    .flatMap((expression) => nextRuns(expression, settings.scheduleTimezone, now, 1))
    .sort((a, b) => a.getTime() - b.getTime())[0];
  const beat = await readSchedulerHeartbeat();
  const base = { where: beat?.where ?? null, lastSeenAt: beat?.at ?? null, nextRunAt: next?.toISOString() ?? null };
  if (!next) return { ...base, state: "no-schedule", sentence: "no schedule is set: backups run only when someone starts one" };
  if (beat && isAlive(beat, now)) {
    const place = beat.where === "portal" ? "in the portal" : `as npm run schedule (process ${beat.pid})`;
    return { ...base, state: "running", sentence: `running ${place}` };
  }
  const since = beat ? `since ${beat.at.slice(0, 16).replace("T", " ")} UTC` : "yet";
  return {
    ...base,
    state: "missing",
    sentence:
      `no scheduler has looked ${since}, so scheduled backups do not run. Start the portal with npm start (it runs the ` +
      "schedules unless SCHEDULER=off), or run npm run schedule beside it, or call npm run schedule -- --once from cron.",
  };
}
