export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A moment as people read it in this portal: UTC, to the minute or the second, e.g. "2026-12-01 07:47 UTC". */
export function formatUtc(when: Date | string, precision: "minute" | "second" = "second"): string {
  const iso = typeof when === "string" ? when : when.toISOString();
  return `${iso.replace("T", " ").slice(0, precision === "minute" ? 16 : 19)} UTC`;
}
