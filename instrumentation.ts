// Runs once when the server starts, before it serves a request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  (await import("@/lib/http/connection-stamp")).installConnectionStamp();
  const { refuseToStartOnProblems } = await import("@/lib/startup-checks");
  await refuseToStartOnProblems();
  // Housekeeping (dead jobs, archives dropped in by hand, owed mails) runs here, never in a page view.
  const { startMaintenanceTimer } = await import("@/lib/backup/jobs/maintenance");
  startMaintenanceTimer(5_000, (error) => console.error(`maintenance: ${error.message}`));
  // Scheduled backups run from here too, unless SCHEDULER=off; each due backup runs in a detached process.
  const { startPortalScheduler } = await import("@/lib/schedule/portal-scheduler");
  startPortalScheduler();
}
