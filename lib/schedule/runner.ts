import { enqueueBackup, enqueueDrill, JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { newestBackup } from "@/lib/backup/requests/drill";
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

async function runScheduledDrill(settings: Settings): Promise<Omit<TickOutcome, "schedule" | "slot">> {
  const backup = await newestBackup();
  if (!backup) return { result: "skipped", detail: "no completed backup to drill yet" };
  try {
    const done = await runJob((await enqueueDrill(settings, null, backup.fileName)).id, { settings });
    return { result: done.status === "completed" ? "completed" : "failed", detail: done.error ?? `restore drill of ${backup.fileName}` };
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
export async function tick(
  now = new Date(),
  run: ScheduledBackupRunner = runScheduledBackup,
  drill: ScheduledBackupRunner = runScheduledDrill,
): Promise<TickOutcome[]> {
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
  const drillSlot = await dueDrill(settings, now);
  if (!settings.enableBackupModule) return [];
  const outcomes: TickOutcome[] = [];
  if (due.length) {
    // Daily and weekly due together make the same backup: one run serves both.
    const outcome = await run(settings);
    outcomes.push(...due.map(([schedule, slot]) => ({ schedule, slot: slot.toISOString(), ...outcome })));
  }
  if (drillSlot) outcomes.push({ schedule: "drill", slot: drillSlot.toISOString(), ...(await drill(settings)) });
  return outcomes;
}

/** The restore drill's slot, when one is due (claimed like the backups', so two schedulers never both drill). */
async function dueDrill(settings: Settings, now: Date): Promise<Date | null> {
  if (!settings.drillSchedule) return null;
  const seen = await readSlotState("drill");
  if (!seen) {
    await claimSlot("drill", null, now);
    return null;
  }
  const slot = dueSlot(settings.drillSchedule, settings.scheduleTimezone, seen.lastRun, now);
  return slot && (await claimSlot("drill", seen, now)) ? slot : null;
}
