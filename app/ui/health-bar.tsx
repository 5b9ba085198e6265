import type { Health } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { When } from "@/app/ui/when";
import Link from "next/link";
import { TrendChart } from "@/app/ui/trend-chart";

/** Whether anything will start the scheduled backups, and if not, what to do about it. */
function SchedulerLine({ scheduler }: { scheduler: Health["scheduler"] }) {
  const missing = scheduler.state === "missing";
  return (
    <p
      data-testid="scheduler"
      role={missing ? "alert" : undefined}
      className={`w-full ${missing ? "rounded bg-amber-50 px-2 py-1 text-amber-900" : "text-slate-600"}`}
    >
      scheduler: {scheduler.sentence}
      {scheduler.state === "running" && scheduler.nextRunAt && (
        <>
          , next backup{" "}
          <strong>
            <When at={scheduler.nextRunAt} precision="minute" />
          </strong>
        </>
      )}
    </p>
  );
}

export function HealthBar({ health }: { health: Health }) {
  return (
    <div data-testid="health" className="mt-3 flex flex-wrap items-center gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm">
      <span>
        Last successful backup: <strong>{health.lastSuccessAt ? <When at={health.lastSuccessAt} precision="minute" /> : "never"}</strong>
        {health.stale && (
          <span data-testid="stale" className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">
            stale: older than the schedule allows
          </span>
        )}
      </span>
      <span data-testid="proven">
        Last proven restorable:{" "}
        {health.provenRestorable ? (
          <Link href={`/backups/${health.provenRestorable.drillId}`} className="font-semibold text-blue-700 underline">
            <When at={health.provenRestorable.at} precision="minute" />
          </Link>
        ) : (
          <strong>not yet (no restore drill has passed)</strong>
        )}
        {health.failedDrill && (
          <Link
            href={`/backups/${health.failedDrill.drillId}`}
            data-testid="drill-failed"
            className="ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900 ring-1 ring-red-300"
          >
            the last restore drill failed
          </Link>
        )}
      </span>
      <span>
        Backups use <strong>{formatBytes(health.storageBytes)}</strong>
      </span>
      {health.freeBytes !== null && (
        <span>
          Free disk: <strong>{formatBytes(health.freeBytes)}</strong>
        </span>
      )}
      {health.diskWarning && (
        <p data-testid="disk-warning" role="alert" className="w-full rounded bg-amber-50 px-2 py-1 text-amber-900">
          {health.diskWarning}
        </p>
      )}
      <TrendChart recent={health.recent} />
      <SchedulerLine scheduler={health.scheduler} />
    </div>
  );
}
