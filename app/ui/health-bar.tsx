import type { Health } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { When } from "@/app/ui/when";
import { TrendChart } from "@/app/ui/trend-chart";

export function HealthBar({ health }: { health: Health }) {
  return (
    <div data-testid="health" className="mt-3 flex flex-wrap items-center gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm">
      <span>
        Last successful backup:{" "}
        <strong>{health.lastSuccessAt ? <When at={health.lastSuccessAt} precision="minute" /> : "never"}</strong>
        {health.stale && (
          <span data-testid="stale" className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">
            stale: older than the schedule allows
          </span>
        )}
      </span>
      <span>Backups use <strong>{formatBytes(health.storageBytes)}</strong></span>
      {health.freeBytes !== null && <span>Free disk: <strong>{formatBytes(health.freeBytes)}</strong></span>}
      <TrendChart recent={health.recent} />
    </div>
  );
}
