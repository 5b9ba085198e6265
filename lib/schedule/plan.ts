import { Cron } from "croner";

export type ScheduleName = "daily" | "weekly" | "drill";

function cron(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** null when the expression and time zone are usable, else what is wrong with them. */
export function cronProblem(expression: string, timezone: string): string | null {
  if (expression === "") return null;
  try {
    cron(expression, timezone).nextRun();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function nextRuns(expression: string, timezone: string, from: Date, count = 5): Date[] {
  if (expression === "" || cronProblem(expression, timezone)) return [];
  return cron(expression, timezone).nextRuns(count, from);
}

/**
 * The slot that is due now, if any: the first scheduled time after the last run that is not in the
 * future. However many slots were missed while nothing ran, this gives one, and once the run is
 * recorded as of `now` none of the missed ones comes back.
 */
export function dueSlot(expression: string, timezone: string, lastRun: Date, now: Date): Date | null {
  if (expression === "") return null;
  const next = cron(expression, timezone).nextRun(lastRun);
  return next && next.getTime() <= now.getTime() ? next : null;
}
