import type { Metadata } from "next";
import Link from "next/link";
import { requireAdminPage } from "@/lib/auth/guards";
import { auditFilterSchema, queryAudit, type AuditFilter } from "@/lib/audit-query";

export const metadata: Metadata = { title: "Audit trail" };

function pageLink(filter: AuditFilter, page: number): string {
  const params = new URLSearchParams();
  for (const key of ["action", "actor", "from", "to"] as const) if (filter[key]) params.set(key, filter[key]);
  params.set("page", String(page));
  return `/audit?${params}`;
}

const input = "mt-1 block rounded border border-slate-300 px-2 py-1 text-sm";

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  await requireAdminPage("/audit");
  const filter = auditFilterSchema.parse(await searchParams);
  const { rows, total, pages, actions } = await queryAudit(filter);
  return (
    <section>
      <h1 className="text-2xl font-semibold">Audit trail</h1>
      <form method="get" className="mt-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
        <label className="text-sm">Action
          <select name="action" defaultValue={filter.action ?? ""} className={input}>
            <option value="">All</option>
            {actions.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
        <label className="text-sm">Who (email contains)
          <input name="actor" defaultValue={filter.actor ?? ""} className={input} />
        </label>
        <label className="text-sm">From
          <input type="date" name="from" defaultValue={filter.from ?? ""} className={input} />
        </label>
        <label className="text-sm">To
          <input type="date" name="to" defaultValue={filter.to ?? ""} className={input} />
        </label>
        <button type="submit" className="rounded bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800">Filter</button>
        <Link href="/audit" className="text-sm text-blue-700 underline">Clear</Link>
      </form>
      <div className="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-slate-600">
            <tr>
              <th className="px-3 py-2 font-medium">When (UTC)</th>
              <th className="px-3 py-2 font-medium">Who</th>
              <th className="px-3 py-2 font-medium">Action</th>
              <th className="px-3 py-2 font-medium">Target</th>
              <th className="px-3 py-2 font-medium">From</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr><td colSpan={5} className="px-3 py-6 text-center text-slate-500">No events match.</td></tr>
            )}
            {rows.map((e) => (
              <tr key={e.id} data-testid="audit-row" className="border-b border-slate-100 last:border-0">
                <td className="px-3 py-2 whitespace-nowrap"><time dateTime={e.at.toISOString()}>{e.at.toISOString().replace("T", " ").slice(0, 19)}</time></td>
                <td className="px-3 py-2 break-all">{e.actorEmail ?? "—"}</td>
                <td className="px-3 py-2 font-mono text-xs">{e.action}</td>
                <td className="px-3 py-2 break-all font-mono text-xs">{e.target ?? "—"}</td>
                <td className="px-3 py-2 font-mono text-xs">{e.ip ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav aria-label="Pages" className="mt-3 flex items-center gap-3 text-sm">
        {filter.page > 1 && <Link href={pageLink(filter, filter.page - 1)} className="text-blue-700 underline">Newer</Link>}
        <span className="text-slate-600">Page {filter.page} of {pages} · {total} events</span>
        {filter.page < pages && <Link href={pageLink(filter, filter.page + 1)} className="text-blue-700 underline">Older</Link>}
      </nav>
    </section>
  );
}
