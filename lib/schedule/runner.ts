import { enqueueBackup, JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { loadSettings, type Settings } from "@/lib/settings";
import { dueSlot, type ScheduleName } from "@/lib/schedule/plan";
import { claimSlot, readSlotState } from "@/lib/schedule/slots";

/** "started": handed to a background process (the portal's scheduler), which reports its own outcome. */
export type TickOutcome = { schedule: ScheduleName; slot: string; result: "completed" | "failed" | "skipped" | "started"; detail: string };

/** How a due backup is run: in this process (the CLI scheduler, the default) or handed off (the portal). */
export type ScheduledBackupRunner = (settings: Settings) => Promise<Omit<TickOutcome, "schedule" | "slot">>;

async function runScheduledBackup(settings: Settings): Promise<Omit<TickOutcome, "schedule" | "slot">> {
  try {
    const done = await runJob((await enqueueBackup(settings, null)).id, { settings });
    return { result: done.status === "completed" ? "completed" : "failed", detail: done.error ?? done.fileName };
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return { result: "skipped", detail: error.message };
    throw error;
  }
}

/**
 * One look at the clock: starts the backup that is due, if any. The run is recorded before it starts,
 * so a crash or a restart cannot run the same slot twice; a schedule seen for the first time starts
 * counting from now rather than catching up on its whole past.
 */
export async function tick(now = new Date(), run: ScheduledBackupRunner = runScheduledBackup): Promise<TickOutcome[]> {
  const settings = await loadSettings();
  const schedules: [ScheduleName, string][] = [
    ["daily", settings.scheduleDaily],
    ["weekly", settings.scheduleWeekly],
  ];
  const due: [ScheduleName, Date][] = [];
  for (const [name, expression] of schedules) {
    if (!expression) continue;
    const seen = await readSlotState(name);
    if (!seen) {
      await claimSlot(name, null, now);
      continue;
    }
    const slot = dueSlot(expression, settings.scheduleTimezone, seen.lastRun, now);
    // Another scheduler that claimed this slot first runs it; this one does nothing.
    if (slot && (await claimSlot(name, seen, now))) due.push([name, slot]);
  }
  if (due.length === 0 || !settings.enableBackupModule) return [];
  // Daily and weekly due together make the same backup: one run serves both.
  const outcome = await run(settings);
  return due.map(([schedule, slot]) => ({ schedule, slot: slot.toISOString(), ...outcome }));
}
