import type { ReactNode } from "react";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

/**
 * The portal's lists (backups, tokens, audit): a table on wide screens; on a phone each row stacks into
 * a card with each value under its column's name, so nothing is cut off or hidden behind a sideways scroll.
 */
export function DataTable<T>({
  rows,
  columns,
  rowKey,
  rowTestId,
  empty,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  rowTestId?: string;
  empty: ReactNode;
}) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm max-sm:block">
        <thead className="border-b border-slate-200 bg-slate-50 text-slate-600 max-sm:hidden">
          <tr>
            {columns.map((c) => (
              <th key={c.header} className="px-3 py-2 font-medium">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="max-sm:block">
          {rows.length === 0 && (
            <tr className="max-sm:block">
              <td colSpan={columns.length} className="px-3 py-6 text-center text-slate-500 max-sm:block">
                {empty}
              </td>
            </tr>
          )}
          {rows.map((row) => (
            <tr key={rowKey(row)} data-testid={rowTestId} className="border-b border-slate-100 last:border-0 max-sm:block max-sm:py-2">
              {columns.map((c) => (
                <td
                  key={c.header}
                  data-label={c.header}
                  className={`px-3 py-2 max-sm:flex max-sm:gap-3 max-sm:py-1 max-sm:before:w-24 max-sm:before:shrink-0 max-sm:before:font-sans max-sm:before:text-sm max-sm:before:text-slate-500 max-sm:before:content-[attr(data-label)] ${c.className ?? ""}`}
                >
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
