import { prisma, type Backup } from "@/lib/db";
import { parseSteps } from "@/lib/backup/jobs/report";
import type { StepRecord } from "@/lib/backup/jobs/steps/types";
import { statusLabel, type JobKind, type JobStatus } from "@/lib/backup/jobs/status";

export const PAGE_SIZE = 25;

export interface BackupView {
  id: number;
  fileName: string;
  kind: JobKind;
  status: JobStatus;
  /** The status as people read it: "completed with warnings" when the archive could not keep everything. */
  statusLabel: string;
  warningCount: number;
  /** The post-job steps' outcomes (retention, notify, …). */
  steps: StepRecord[];
  phase: string;
  percent: number;
  bytesDone: number;
  bytesTotal: number;
  sizeBytes: number | null;
  sha256: string | null;
  error: string | null;
  requestedBy: string | null;
  sourceFileName: string | null;
  restoreParts: string | null;
  safetyFileName: string | null;
  pinned: boolean;
  mailError: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Offsite copies and their state (lib/offsite/attach.ts); absent where a caller did not ask. */
  offsite?: import("@/lib/offsite/attach").OffsiteInfo;
}

export function toView(backup: Backup & { requestedBy?: { email: string } | null }): BackupView {
  return {
    id: backup.id,
    fileName: backup.fileName,
    kind: backup.kind as JobKind,
    status: backup.status as JobStatus,
    statusLabel: statusLabel(backup),
    warningCount: backup.warningCount,
    steps: parseSteps(backup.steps),
    phase: backup.phase,
    percent: backup.percent,
    bytesDone: backup.bytesDone,
    bytesTotal: backup.bytesTotal,
    sizeBytes: backup.sizeBytes,
    sha256: backup.sha256,
    error: backup.error,
    requestedBy: backup.requestedBy?.email ?? null,
    sourceFileName: backup.sourceFileName,
    restoreParts: backup.restoreParts,
    safetyFileName: backup.safetyFileName,
    pinned: backup.pinned,
    mailError: backup.mailError,
    createdAt: backup.createdAt.toISOString(),
    startedAt: backup.startedAt?.toISOString() ?? null,
    finishedAt: backup.finishedAt?.toISOString() ?? null,
  };
}

export async function listBackups(page: number): Promise<{ items: BackupView[]; total: number; pages: number }> {
  const [rows, total] = await Promise.all([
    prisma.backup.findMany({
      orderBy: { id: "desc" },
      skip: (page - 1) * PAGE_SIZE,
      take: PAGE_SIZE,
      include: { requestedBy: { select: { email: true } } },
    }),
    prisma.backup.count(),
  ]);
  return { items: rows.map(toView), total, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

export async function findBackupView(id: number): Promise<BackupView | null> {
  const row = await prisma.backup.findUnique({ where: { id }, include: { requestedBy: { select: { email: true } } } });
  return row ? toView(row) : null;
}
