import { formatBytes } from "@/lib/format";

// How logs say numbers: counts with thousands separators, sizes in units, the exact bytes where they matter.

export function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/**
 * "4,954 files, 1,145 folders and links": the files counted the way the end of the backup counts them,
 * so the two lines agree (a single total of entries read as if files had been lost).
 */
export function describeEntries(files: number, others: number): string {
  const parts = [count(files, "file", "files")];
  if (others > 0) parts.push(count(others, "folder or link", "folders and links"));
  return parts.join(", ");
}

/** "74.7 MB (78,312,448 bytes)". */
export function sizeWithBytes(bytes: number): string {
  return bytes < 1024 ? count(bytes, "byte", "bytes") : `${formatBytes(bytes)} (${bytes.toLocaleString("en")} bytes)`;
}

/** A message as log lines: one line each, so a multi-line error (a tool's stderr) cannot break the log's layout. */
export function logLines(message: string): string[] {
  const lines = message
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
  return lines.length ? lines : [""];
}
