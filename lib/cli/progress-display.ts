import { prisma } from "@/lib/db";
import { formatBytes } from "@/lib/format";
import { ProgressReporter } from "@/lib/backup/jobs/progress";

export interface ProgressSample {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  percent: number;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const PHASE_WORDS: Record<string, string> = {
  queued: "waiting",
  starting: "starting",
  scanning: "scanning the folders",
  dumping: "dumping the database",
  archiving: "archiving",
  verifying: "checking the archive",
  "safety-backup": "safety backup",
  "restoring-database": "restoring the database",
  "restoring-files": "restoring the files",
  finalizing: "finishing",
  done: "done",
};

export const phaseWords = (phase: string) => PHASE_WORDS[phase] ?? phase;

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Bytes per second over the last few seconds of the current phase (a phase that restarts the count, such as verifying, starts afresh). */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];
  private phase = "";

  add(phase: string, bytes: number, at = Date.now()): void {
    if (phase !== this.phase || (this.samples.length && bytes < this.samples.at(-1)!.bytes)) this.samples = [];
    this.phase = phase;
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > 5000) this.samples.shift();
  }

  /** null until there is a second's worth to go on. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 1000) return null;
    return (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  }
}

/** "archiving  [#######------]  52%  120.5 MB / 230.0 MB  35.2 MB/s  0:03 left", fitted to `width`. */
export function progressLine(sample: ProgressSample, rate: number | null, width = 80): string {
  const total = Math.max(sample.bytesTotal, sample.bytesDone);
  // A restore's total counts its bytes twice (staged, then swapped in by renames that count none): done is done.
  const percent = sample.phase === "done" ? 100 : total > 0 ? Math.min(100, Math.floor((sample.bytesDone / total) * 100)) : 0;
  const speed = rate !== null && rate > 0 ? `${formatBytes(rate)}/s` : "";
  const left = rate !== null && rate > 0 && total > sample.bytesDone ? `${formatSeconds((total - sample.bytesDone) / rate)} left` : "";
  const figures = [`${String(percent).padStart(3)}%`, total > 0 ? `${formatBytes(sample.bytesDone)} / ${formatBytes(total)}` : "", speed, left]
    .filter(Boolean)
    .join("  ");
  const label = phaseWords(sample.phase).padEnd(22).slice(0, 22);
  // A bar of fixed width for a given terminal, so it does not jump as the figures change.
  const barWidth = Math.max(10, Math.min(30, width - label.length - 50));
  const filled = Math.round((percent / 100) * barWidth);
  return `${label} [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${figures}`.slice(0, Math.max(20, width - 1));
}

/** A plain line for logs and pipes: "12:00:05 archiving: 52%, 120.5 MB of 230.0 MB, 35.2 MB/s, about 0:03 left". */
export function plainLine(sample: ProgressSample, rate: number | null, now = new Date()): string {
  const total = Math.max(sample.bytesTotal, sample.bytesDone);
  const parts = [
    total > 0 ? `${Math.min(100, Math.floor((sample.bytesDone / total) * 100))}%` : "",
    total > 0 ? `${formatBytes(sample.bytesDone)} of ${formatBytes(total)}` : "",
    rate !== null && rate > 0 ? `${formatBytes(rate)}/s` : "",
    rate !== null && rate > 0 && total > sample.bytesDone ? `about ${formatSeconds((total - sample.bytesDone) / rate)} left` : "",
  ].filter(Boolean);
  return `${now.toISOString().slice(11, 19)} ${phaseWords(sample.phase)}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

/**
 * Shows a job's progress while it runs in this process, read from its record (which the worker's
 * ProgressReporter writes once a second). On a terminal: one bar redrawn in place. Otherwise: a line per
 * phase change and one every `plainEveryMs`. Returns a stopper that clears the bar.
 */
export function showJobProgress(jobId: number, out: Output, options: { plainEveryMs?: number; pollMs?: number } = {}): () => Promise<void> {
  const tty = Boolean(out.isTTY);
  const plainEveryMs = options.plainEveryMs ?? 10_000;
  const meter = new RateMeter();
  let lastPhase = "";
  let lastPlainAt = 0;
  let drawn = false;
  let stopped = false;
  const look = async () => {
    const job = await prisma.backup.findUnique({ where: { id: jobId } }).catch(() => null);
    if (!job || stopped) return;
    meter.add(job.phase, job.bytesDone);
    const sample = { phase: job.phase, bytesDone: job.bytesDone, bytesTotal: job.bytesTotal, percent: job.percent };
    if (tty) {
      out.write(`\r\x1b[2K${progressLine(sample, meter.rate(), out.columns || 80)}`);
      drawn = true;
    } else if (job.phase !== lastPhase || Date.now() - lastPlainAt >= plainEveryMs) {
      out.write(`${plainLine(sample, meter.rate())}\n`);
      lastPlainAt = Date.now();
    }
    lastPhase = job.phase;
  };
  // In this process the reporter tells of each phase as it starts, however short (polling could miss it).
  ProgressReporter.observer = (id, progress) => {
    if (id !== jobId || stopped || tty || progress.phase === lastPhase) return;
    meter.add(progress.phase, progress.bytesDone);
    out.write(`${plainLine({ ...progress, percent: 0 }, meter.rate())}\n`);
    lastPhase = progress.phase;
    lastPlainAt = Date.now();
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(look);
  }, options.pollMs ?? 250);
  return async () => {
    clearInterval(timer);
    ProgressReporter.observer = null;
    await running;
    stopped = true;
    if (drawn) out.write("\r\x1b[2K");
  };
}
