import { prisma, type Backup } from "@/lib/db";

export const PAGE_SIZE = 25;

export interface BackupView {
  id: number;
  fileName: string;
  kind: string;
  status: string;
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
}

export function toView(backup: Backup & { requestedBy?: { email: string } | null }): BackupView {
  return {
    id: backup.id,
    fileName: backup.fileName,
    kind: backup.kind,
    status: backup.status,
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

export function isActive(status: string): boolean {
  return status === "queued" || status === "running" || status === "cancelling";
}
