import { formatUtc } from "@/lib/format";

/** A moment on a page: machine-readable in `dateTime`, UTC for people. */
export function When({ at, precision = "second" }: { at: Date | string | null; precision?: "minute" | "second" }) {
  if (!at) return <>—</>;
  const iso = typeof at === "string" ? at : at.toISOString();
  return <time dateTime={iso}>{formatUtc(iso, precision)}</time>;
}
