import { formatUtc } from "@/lib/format";
import type { TickOutcome } from "@/lib/schedule/runner";
import { nextRuns } from "@/lib/schedule/plan";
import type { Settings } from "@/lib/settings";

const WORDS: Record<TickOutcome["result"], string> = {
  completed: "ran, completed",
  failed: "ran, FAILED",
  skipped: "skipped because another job was running",
  started: "started in the background",
};

/** What one look of the scheduler did, in sentences: a run, or why nothing ran. */
export function describeLook(outcomes: TickOutcome[], settings: Settings, now: Date, onlyRuns: boolean): string[] {
  const stamp = now.toISOString();
  if (outcomes.length) return outcomes.map((o) => `${stamp} ${o.schedule} backup for ${o.slot}: ${WORDS[o.result]} (${o.detail})`);
  if (onlyRuns) return [];
  if (!settings.enableBackupModule) return [`${stamp} nothing ran: the backup module is off (Settings → Enable the backup module)`];
  const next = [settings.scheduleDaily, settings.scheduleWeekly]
    .flatMap((e) => nextRuns(e, settings.scheduleTimezone, now, 1))
    .sort((a, b) => a.getTime() - b.getTime())[0];
  if (!next) return [`${stamp} nothing ran: no schedule is set`];
  return [`${stamp} nothing due; next backup ${formatUtc(next.toISOString(), "minute")}`];
}
