import { Cron } from "croner";

export type ScheduleName = "daily" | "weekly" | "drill";

function cron(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** Answers already worked out: the settings are checked on every request, and croner takes ~1 ms per check. */
const problems = new Map<string, string | null>();

/** null when the expression and time zone are usable, else what is wrong with them. */
export function cronProblem(expression: string, timezone: string): string | null {
  if (expression === "") return null;
  const key = `${expression}\n${timezone}`;
  const known = problems.get(key);
  if (known !== undefined) return known;
  let problem: string | null = null;
  try {
    cron(expression, timezone).nextRun();
  } catch (error) {
    problem = (error as Error).message;
  }
  // Bounded: typed expressions pass through here too.
  if (problems.size >= 100) problems.clear();
  problems.set(key, problem);
  return problem;
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
