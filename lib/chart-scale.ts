// Axes for the portal's small charts: a unit picked from the data, and round numbers on the ticks.

export interface Scale {
  unit: string;
  /** What one unit is worth in the data's own terms (bytes, seconds). */
  per: number;
  /** The top of the axis, in units: a round number at or above the largest value. */
  max: number;
  ticks: number[];
}

/** The smallest of 1, 2, 2.5, 5, 10 times a power of ten that is at least `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((f) => f * power >= value * (1 - 1e-9))!;
  return step * power;
}

function scale(unit: string, per: number, largest: number): Scale {
  const max = niceCeiling(largest / per);
  return { unit, per, max, ticks: [0, max / 2, max] };
}

const KB = 1024,
  MB = KB * 1024,
  GB = MB * 1024;

/** Bytes on an axis: B, KB, MB or GB, whichever the largest value reads best in. */
export function sizeScale(largestBytes: number): Scale {
  if (largestBytes >= GB) return scale("GB", GB, largestBytes);
  if (largestBytes >= MB) return scale("MB", MB, largestBytes);
  if (largestBytes >= KB) return scale("KB", KB, largestBytes);
  return scale("B", 1, largestBytes);
}

/** Seconds on an axis: seconds up to two minutes, then minutes, then hours past two hours. */
export function durationScale(largestSeconds: number): Scale {
  if (largestSeconds >= 7200) return scale("h", 3600, largestSeconds);
  if (largestSeconds >= 120) return scale("min", 60, largestSeconds);
  return scale("s", 1, largestSeconds);
}

/** A tick's label: no trailing zeros ("2.5", "10"). */
export function tickLabel(value: number): string {
  return Number(value.toFixed(2)).toLocaleString("en");
}

/** A duration as people read it: "45 s", "3 min 20 s", "1 h 5 min". */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
