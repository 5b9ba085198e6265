import { prisma } from "@/lib/db";
import { enqueueBackup, JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { loadSettings, type Settings } from "@/lib/settings";
import { dueSlot, type ScheduleName } from "@/lib/schedule/plan";

const stateKey = (name: ScheduleName) => `scheduleState:${name}`;

async function lastRun(name: ScheduleName): Promise<Date | null> {
  const row = await prisma.setting.findUnique({ where: { key: stateKey(name) } });
  return row ? new Date(JSON.parse(row.value) as string) : null;
}

async function recordRun(name: ScheduleName, at: Date): Promise<void> {
  const value = JSON.stringify(at.toISOString());
  await prisma.setting.upsert({ where: { key: stateKey(name) }, create: { key: stateKey(name), value }, update: { value } });
}

export type TickOutcome = { schedule: ScheduleName; slot: string; result: "completed" | "failed" | "skipped"; detail: string };

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
export async function tick(now = new Date()): Promise<TickOutcome[]> {
  const settings = await loadSettings();
  const schedules: [ScheduleName, string][] = [
    ["daily", settings.scheduleDaily],
    ["weekly", settings.scheduleWeekly],
  ];
  const due: [ScheduleName, Date][] = [];
  for (const [name, expression] of schedules) {
    if (!expression) continue;
    const last = await lastRun(name);
    if (!last) {
      await recordRun(name, now);
      continue;
    }
    const slot = dueSlot(expression, settings.scheduleTimezone, last, now);
    if (slot) {
      await recordRun(name, now);
      due.push([name, slot]);
    }
  }
  if (due.length === 0 || !settings.enableBackupModule) return [];
  // Daily and weekly due together make the same backup: one run serves both.
  const outcome = await runScheduledBackup(settings);
  return due.map(([schedule, slot]) => ({ schedule, slot: slot.toISOString(), ...outcome }));
}
