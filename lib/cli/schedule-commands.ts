import { parseArgs } from "node:util";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { tick } from "@/lib/schedule/runner";

/**
 * `schedule:run`: a long-running process beside the portal that starts the scheduled backups.
 * `--once` looks once and exits (for the system's cron, or to check a set-up).
 */
export async function scheduleRun(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { once: { type: "boolean" }, interval: { type: "string", default: "30" } } });
  const intervalMs = Math.max(5, Number(values.interval) || 30) * 1000;
  const look = async () => {
    try {
      await runMaintenance();
      for (const o of await tick()) console.log(`${new Date().toISOString()} ${o.schedule} run for ${o.slot}: ${o.result} (${o.detail})`);
    } catch (error) {
      console.error(`${new Date().toISOString()} schedule: ${(error as Error).message}`);
    }
  };
  await look();
  if (values.once) return 0;
  console.log(`Scheduler running; looking every ${intervalMs / 1000} s. Stop with Ctrl-C.`);
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    await look();
  }
}
