import fs from "node:fs";
import { logLines } from "@/lib/backup/jobs/log-text";

export interface BackupLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Appends synchronously: a log line must survive the process being killed right after it. A message of
 * several lines (a tool's error output) becomes several log lines, each with its time and level.
 */
export function openBackupLog(file: string): BackupLog {
  const write = (level: string, message: string) => {
    const at = new Date().toISOString();
    fs.appendFileSync(
      file,
      logLines(message)
        .map((line) => `${at} ${level} ${line}\n`)
        .join(""),
      { mode: 0o600 },
    );
  };
  return {
    info: (m) => write("INFO ", m),
    warn: (m) => write("WARN ", m),
    error: (m) => write("ERROR", m),
  };
}

export const silentLog: BackupLog = { info() {}, warn() {}, error() {} };

/** The last `maxBytes` of a log, for showing on a page without reading a huge file. */
export async function readLogTail(file: string, maxBytes = 64 * 1024): Promise<string> {
  try {
    const handle = await fs.promises.open(file, "r");
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - maxBytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return "";
  }
}
