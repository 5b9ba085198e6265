import type { Health } from "@/lib/backup";
import { durationScale, formatSeconds, sizeScale, tickLabel } from "@/lib/chart-scale";
import { formatBytes, formatUtc } from "@/lib/format";

const W = 360,
  H = 150;
const M = { left: 46, right: 46, top: 10, bottom: 22 };
const PW = W - M.left - M.right,
  PH = H - M.top - M.bottom;

/**
 * Size (bars, left axis) and duration (line, right axis) of the recent backups, drawn on the server.
 * Hovering a bar or a point shows its exact values (SVG titles); screen readers get the same values as a
 * table, since a picture says nothing to them.
 */
export function TrendChart({ recent }: { recent: Health["recent"] }) {
  if (recent.length < 2) return null;
  const size = sizeScale(Math.max(...recent.map((r) => r.sizeBytes)));
  const time = durationScale(Math.max(...recent.map((r) => r.seconds)));
  const step = PW / recent.length;
  const ySize = (bytes: number) => M.top + PH - (bytes / size.per / size.max) * PH;
  const yTime = (seconds: number) => M.top + PH - (seconds / time.per / time.max) * PH;
  const x = (i: number) => M.left + (i + 0.5) * step;
  const describe = (r: Health["recent"][number]) => `${formatUtc(r.createdAt, "minute")}: ${formatBytes(r.sizeBytes)}, took ${formatSeconds(r.seconds)}`;
  const caption = `Size and duration of the last ${recent.length} backups`;

  return (
    <figure data-testid="trend" className="w-full max-w-md">
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full rounded bg-slate-50" role="img" aria-label={caption}>
        {size.ticks.map((t) => (
          <g key={`s${t}`}>
            <line x1={M.left} x2={M.left + PW} y1={ySize(t * size.per)} y2={ySize(t * size.per)} className="stroke-slate-200" strokeWidth={1} />
            <text x={M.left - 4} y={ySize(t * size.per) + 3} textAnchor="end" className="fill-slate-600 text-[10px]">
              {tickLabel(t)} {size.unit}
            </text>
          </g>
        ))}
        {time.ticks.map((t) => (
          <text key={`t${t}`} x={M.left + PW + 4} y={yTime(t * time.per) + 3} className="fill-slate-600 text-[10px]">
            {tickLabel(t)} {time.unit}
          </text>
        ))}
        <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + PH} className="stroke-slate-400" />
        <line x1={M.left + PW} x2={M.left + PW} y1={M.top} y2={M.top + PH} className="stroke-slate-400" />
        {recent.map((r, i) => (
          <rect
            key={r.id}
            data-testid="trend-bar"
            x={M.left + i * step + step * 0.15}
            y={ySize(r.sizeBytes)}
            width={Math.max(1, step * 0.7)}
            height={M.top + PH - ySize(r.sizeBytes)}
            className="fill-blue-300 hover:fill-blue-500"
          >
            <title>{describe(r)}</title>
          </rect>
        ))}
        <polyline points={recent.map((r, i) => `${x(i)},${yTime(r.seconds)}`).join(" ")} fill="none" strokeWidth={1.5} className="stroke-slate-700" />
        {recent.map((r, i) => (
          <circle key={r.id} cx={x(i)} cy={yTime(r.seconds)} r={3} className="fill-slate-700 hover:fill-amber-500">
            <title>{describe(r)}</title>
          </circle>
        ))}
        <text x={M.left} y={H - 6} className="fill-slate-600 text-[10px]">
          {formatUtc(recent[0]!.createdAt, "minute").slice(5, 16)}
        </text>
        <text x={M.left + PW} y={H - 6} textAnchor="end" className="fill-slate-600 text-[10px]">
          {formatUtc(recent.at(-1)!.createdAt, "minute").slice(5, 16)}
        </text>
      </svg>
      <figcaption className="mt-1 flex flex-wrap gap-x-4 text-xs text-slate-600" data-testid="trend-legend">
        <span>
          <span aria-hidden className="mr-1 inline-block h-2.5 w-2.5 bg-blue-300 align-middle" />
          Size ({size.unit}, left axis)
        </span>
        <span>
          <span aria-hidden className="mr-1 inline-block h-0.5 w-4 bg-slate-700 align-middle" />
          Duration ({time.unit}, right axis)
        </span>
        <span className="text-slate-500">UTC · hover for values</span>
      </figcaption>
      <table className="sr-only">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Made</th>
            <th scope="col">Size</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {recent.map((r) => (
            <tr key={r.id}>
              <td>{formatUtc(r.createdAt, "minute")}</td>
              <td>{formatBytes(r.sizeBytes)}</td>
              <td>{formatSeconds(r.seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
