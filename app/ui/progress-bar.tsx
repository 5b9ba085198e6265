export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="min-w-40">
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-label={label}
        className="h-2 w-full overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-blue-600 transition-[width] duration-500" style={{ width: `${value}%` }} />
      </div>
      <p className="mt-1 text-xs text-slate-600">
        {label} · {value}%
      </p>
    </div>
  );
}
