import type { Metadata } from "next";
import Link from "next/link";
import { requireAdminPage } from "@/lib/auth/guards";
import { DataTable, type Column } from "@/app/ui/data-table";
import { When } from "@/app/ui/when";
import { auditFilterSchema, queryAudit, type AuditFilter } from "@/lib/audit-query";

export const metadata: Metadata = { title: "Audit trail" };

function pageLink(filter: AuditFilter, page: number): string {
  const params = new URLSearchParams();
  for (const key of ["action", "actor", "from", "to"] as const) if (filter[key]) params.set(key, filter[key]);
  params.set("page", String(page));
  return `/audit?${params}`;
}

type AuditRow = Awaited<ReturnType<typeof queryAudit>>["rows"][number];

const columns: Column<AuditRow>[] = [
  { header: "When", className: "whitespace-nowrap", cell: (e) => <When at={e.at} /> },
  { header: "Who", className: "break-all", cell: (e) => e.actorEmail ?? "—" },
  { header: "Action", className: "font-mono text-xs", cell: (e) => e.action },
  { header: "Target", className: "break-all font-mono text-xs", cell: (e) => e.target ?? "—" },
  { header: "From", className: "font-mono text-xs", cell: (e) => e.ip ?? "—" },
];

const input = "mt-1 block rounded border border-slate-300 px-2 py-1 text-sm";

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  await requireAdminPage("/audit");
  const filter = auditFilterSchema.parse(await searchParams);
  const { rows, total, pages, actions } = await queryAudit(filter);
  return (
    <section>
      <h1 className="text-2xl font-semibold">Audit trail</h1>
      <form method="get" className="mt-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
        <label className="text-sm">
          Action
          <select name="action" defaultValue={filter.action ?? ""} className={input}>
            <option value="">All</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Who (email contains)
          <input name="actor" defaultValue={filter.actor ?? ""} className={input} />
        </label>
        <label className="text-sm">
          From
          <input type="date" name="from" defaultValue={filter.from ?? ""} className={input} />
        </label>
        <label className="text-sm">
          To
          <input type="date" name="to" defaultValue={filter.to ?? ""} className={input} />
        </label>
        <button type="submit" className="rounded bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800">
          Filter
        </button>
        <Link href="/audit" className="text-sm text-blue-700 underline">
          Clear
        </Link>
      </form>
      <div className="mt-4">
        <DataTable rows={rows} rowKey={(e) => e.id} rowTestId="audit-row" columns={columns} empty="No events match." />
      </div>
      <nav aria-label="Pages" className="mt-3 flex items-center gap-3 text-sm">
        {filter.page > 1 && (
          <Link href={pageLink(filter, filter.page - 1)} className="text-blue-700 underline">
            Newer
          </Link>
        )}
        <span className="text-slate-600">
          Page {filter.page} of {pages} · {total} events
        </span>
        {filter.page < pages && (
          <Link href={pageLink(filter, filter.page + 1)} className="text-blue-700 underline">
            Older
          </Link>
        )}
      </nav>
    </section>
  );
}
