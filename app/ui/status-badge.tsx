const styles: Record<string, string> = {
  queued: "bg-slate-100 text-slate-700 ring-slate-300",
  running: "bg-blue-50 text-blue-800 ring-blue-300",
  completed: "bg-green-50 text-green-800 ring-green-300",
  failed: "bg-red-50 text-red-800 ring-red-300",
  cancelling: "bg-amber-50 text-amber-800 ring-amber-300",
  cancelled: "bg-amber-50 text-amber-800 ring-amber-300",
  unverified: "bg-slate-100 text-slate-800 ring-slate-400",
};

/** `label` says more than the status where there is more to say ("completed with warnings"). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const warned = label !== undefined && label !== status;
  return (
    <span
      data-testid="status"
      data-status={status}
      className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${warned ? "bg-amber-50 text-amber-900 ring-amber-300" : (styles[status] ?? styles.queued)}`}
    >
      {label ?? status}
    </span>
  );
}
