import fs from "node:fs/promises";
import { prisma } from "@/lib/db";
import { nextRuns } from "@/lib/schedule/plan";
import { schedulerStatus, type SchedulerStatus } from "@/lib/schedule/heartbeat";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { formatBytes } from "@/lib/format";
import { remoteOnlyDestination } from "@/lib/offsite/remote-only";

export interface Health {
  lastSuccessAt: string | null;
  stale: boolean;
  storageBytes: number;
  freeBytes: number | null;
  recent: { id: number; createdAt: string; sizeBytes: number; seconds: number }[];
  /** The newest restore drill that passed: when, and which backup it proved. */
  provenRestorable: { at: string; fileName: string; drillId: number } | null;
  /** The newest drill, when it failed: the warning the health line shows. */
  failedDrill: { at: string; fileName: string; drillId: number } | null;
  /** Whether a scheduler is alive (its heartbeat) and when the next scheduled backup is due. */
  scheduler: SchedulerStatus;
  /** When the free disk could not hold another backup the size of the last one (none in remote-only mode). */
  diskWarning: string | null;
}

const GRACE_MS = 2 * 3600 * 1000;

/** How long a backup may be old before that is a warning: the daily schedule's interval (else a day), plus grace. */
function allowedAgeMs(settings: Settings, now: Date): number {
  const [a, b] = nextRuns(settings.scheduleDaily || settings.scheduleWeekly, settings.scheduleTimezone, now, 2);
  return (a && b ? b.getTime() - a.getTime() : 24 * 3600 * 1000) + GRACE_MS;
}

export async function backupHealth(settings: Settings, now = new Date()): Promise<Health> {
  const [last, storage, recent, scheduler] = await Promise.all([
    prisma.backup.findFirst({ where: { kind: "backup", status: "completed" }, orderBy: { createdAt: "desc" } }),
    prisma.backup.aggregate({ where: { status: "completed", kind: { not: "restore" } }, _sum: { sizeBytes: true } }),
    prisma.backup.findMany({ where: { kind: "backup", status: "completed" }, orderBy: { createdAt: "desc" }, take: 20 }),
    schedulerStatus(settings, now),
  ]);
  const stats = await fs.statfs(resolvedBackupDir(settings)).catch(() => null);
  const freeBytes = stats ? stats.bavail * stats.bsize : null;
  const [proven, lastDrill] = await Promise.all([
    prisma.backup.findFirst({ where: { kind: "drill", status: "completed" }, orderBy: { id: "desc" } }),
    prisma.backup.findFirst({ where: { kind: "drill", status: { in: ["completed", "failed"] } }, orderBy: { id: "desc" } }),
  ]);
  const drillFacts = (job: typeof proven) =>
    job ? { at: (job.finishedAt ?? job.createdAt).toISOString(), fileName: job.sourceFileName ?? "", drillId: job.id } : null;
  return {
    lastSuccessAt: last?.createdAt.toISOString() ?? null,
    stale: !last || now.getTime() - last.createdAt.getTime() > allowedAgeMs(settings, now),
    storageBytes: storage._sum.sizeBytes ?? 0,
    freeBytes,
    diskWarning: await diskWarning(freeBytes, last?.sizeBytes ?? null),
    provenRestorable: drillFacts(proven),
    failedDrill: lastDrill?.status === "failed" ? drillFacts(lastDrill) : null,
    scheduler,
    recent: recent.reverse().map((b) => ({
      id: b.id,
      createdAt: b.createdAt.toISOString(),
      sizeBytes: b.sizeBytes ?? 0,
      seconds: b.startedAt && b.finishedAt ? (b.finishedAt.getTime() - b.startedAt.getTime()) / 1000 : 0,
    })),
  };
}

/**
 * The next backup is about as large as the last: when the free disk is smaller, it would fail part-way
 * (or fill the disk the site runs on). Remote-only mode writes no archive here, so it needs no such room.
 */
async function diskWarning(freeBytes: number | null, lastBytes: number | null): Promise<string | null> {
  if (freeBytes === null || !lastBytes || freeBytes >= lastBytes) return null;
  if (await remoteOnlyDestination().catch(() => null)) return null;
  return `The free disk (${formatBytes(freeBytes)}) could not hold the next backup (the last was ${formatBytes(lastBytes)}): free some space, lower retention, or make an offsite destination remote-only.`;
}
