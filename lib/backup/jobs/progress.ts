import { prisma } from "@/lib/db";

export type Phase =
  | "queued"
  | "starting"
  | "scanning"
  | "dumping"
  | "archiving"
  | "verifying"
  | "safety-backup"
  | "restoring-database"
  | "restoring-files"
  | "finalizing"
  | "done";

/**
 * Keeps a job's progress in memory and writes it to the database once a second, with a heartbeat, so
 * the page can show it live and a dead worker is noticed. Counting bytes costs nothing; the writes are
 * bounded to one a second however fast the bytes flow.
 */
export class ProgressReporter {
  phase: Phase = "starting";
  bytesDone = 0;
  bytesTotal = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Told of every flush in this process, phase changes included: how the foreground CLI shows progress. */
  static observer: ((jobId: number, progress: { phase: Phase; bytesDone: number; bytesTotal: number }) => void) | null = null;
  private flushing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backupId: number,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
  }

  add(bytes: number): void {
    this.bytesDone += bytes;
  }

  setPhase(phase: Phase): void {
    this.phase = phase;
    void this.flush();
  }

  percent(): number {
    if (this.bytesTotal <= 0) return 0;
    // 99 at most until the archive is really complete.
    return Math.min(99, Math.floor((this.bytesDone / this.bytesTotal) * 100));
  }

  flush(): Promise<unknown> {
    const data = {
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: Math.max(this.bytesTotal, this.bytesDone),
      percent: this.percent(),
      heartbeatAt: new Date(),
    };
    ProgressReporter.observer?.(this.backupId, data);
    this.flushing = this.flushing.then(() => prisma.backup.update({ where: { id: this.backupId }, data })).catch(() => {});
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
  }
}
