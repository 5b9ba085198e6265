import { parseArgs } from "node:util";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { loadSettings } from "@/lib/settings";
import { recordSchedulerHeartbeat } from "@/lib/schedule/heartbeat";
import { tick } from "@/lib/schedule/runner";
import { describeLook } from "@/lib/cli/schedule-report";

/**
 * `schedule:run`: a long-running process beside the portal that starts the scheduled backups.
 * `--once` looks once and exits (for the system's cron, or to check a set-up).
 */
export async function scheduleRun(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { once: { type: "boolean" }, interval: { type: "string", default: "30" } } });
  const intervalMs = Math.max(5, Number(values.interval) || 30) * 1000;
  const look = async (): Promise<number> => {
    try {
      await runMaintenance();
      await recordSchedulerHeartbeat("command line", intervalMs);
      const outcomes = await tick();
      // Every look says what it did when asked once; the long-running scheduler logs only the runs.
      for (const line of describeLook(outcomes, await loadSettings(), new Date(), !values.once)) console.log(line);
      return outcomes.some((o) => o.result === "failed") ? 1 : 0;
    } catch (error) {
      console.error(`${new Date().toISOString()} schedule: ${(error as Error).message}`);
      return 1;
    }
  };
  const code = await look();
  if (values.once) return code;
  console.log(`Scheduler running; looking every ${intervalMs / 1000} s. Stop with Ctrl-C.`);
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    await look();
  }
}
