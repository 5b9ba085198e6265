/**
 * Which backups a retention policy keeps: the newest `keepLast`, and with `gfs` also a grandfather-father-
 * son ladder — everything from the last 7 days, then the newest of each day for 16 more days, of each week
 * for 8 weeks, of each month for 4 months, of each year for 2 years — then, with a size cap, the oldest
 * go until the rest fit (never the newest). Pinned backups are never candidates. Pure: the preview and
 * the pruning call the same function, so what the preview shows is what is deleted.
 */
export interface RetentionCandidate {
  fileName: string;
  createdAt: Date;
  sizeBytes: number;
}

export interface RetentionPolicy {
  keepLast: number;
  gfs: boolean;
  sizeCapBytes?: number | null;
}

export interface RetentionDecision<T extends RetentionCandidate> {
  keep: T[];
  remove: (T & { reason: string })[];
}

const DAY = 24 * 3600 * 1000;

function ladder(now: Date): { days: number; bucket: (d: Date) => string }[] {
  const utcDay = (d: Date) => d.toISOString().slice(0, 10);
  const isoWeek = (d: Date) => {
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    const day = t.getUTCDay() || 7;
    t.setUTCDate(t.getUTCDate() + 4 - day);
    const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
    return `${t.getUTCFullYear()}-W${Math.ceil(((t.getTime() - yearStart) / DAY + 1) / 7)}`;
  };
  void now;
  return [
    { days: 7 + 16, bucket: utcDay },
    { days: 7 + 16 + 8 * 7, bucket: isoWeek },
    { days: 7 + 16 + 8 * 7 + 4 * 31, bucket: (d) => d.toISOString().slice(0, 7) },
    { days: 7 + 16 + 8 * 7 + 4 * 31 + 2 * 366, bucket: (d) => d.toISOString().slice(0, 4) },
  ];
}

export function decideRetention<T extends RetentionCandidate>(candidates: T[], policy: RetentionPolicy, now = new Date()): RetentionDecision<T> {
  const newestFirst = [...candidates].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.fileName.localeCompare(a.fileName));
  const kept = new Set<T>(newestFirst.slice(0, Math.max(1, policy.keepLast)));
  if (policy.gfs) {
    for (const c of newestFirst) if (now.getTime() - c.createdAt.getTime() <= 7 * DAY) kept.add(c);
    for (const rung of ladder(now)) {
      const seen = new Set<string>();
      for (const c of newestFirst) {
        const age = now.getTime() - c.createdAt.getTime();
        if (age <= 7 * DAY || age > rung.days * DAY) continue;
        const key = rung.bucket(c.createdAt);
        if (seen.has(key)) continue;
        seen.add(key);
        kept.add(c);
      }
    }
  }
  const reasonFor = () => (policy.gfs ? "outside the grandfather-father-son ladder" : `beyond the newest ${policy.keepLast}`);
  const remove: (T & { reason: string })[] = newestFirst.filter((c) => !kept.has(c)).map((c) => ({ ...c, reason: reasonFor() }));
  if (policy.sizeCapBytes) {
    let total = newestFirst.filter((c) => kept.has(c)).reduce((sum, c) => sum + c.sizeBytes, 0);
    for (const c of [...newestFirst].reverse()) {
      if (total <= policy.sizeCapBytes || c === newestFirst[0]) break;
      if (!kept.has(c)) continue;
      kept.delete(c);
      total -= c.sizeBytes;
      remove.push({ ...c, reason: `over the size cap` });
    }
  }
  return { keep: newestFirst.filter((c) => kept.has(c)), remove };
}
