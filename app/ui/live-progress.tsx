"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { BackupView } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { ProgressBar } from "@/app/ui/progress-bar";
import { StatusBadge } from "@/app/ui/status-badge";

// Not isActive(): a cancelling job has no progress to follow, and the engine stays out of the client bundle.
const following = (status: string) => status === "queued" || status === "running";

/**
 * Follows the job while it runs — pushed by the server (Server-Sent Events), or polled once a second where
 * events do not get through — then refreshes the page's server data.
 */
export function LiveProgress({ initial }: { initial: BackupView }) {
  const router = useRouter();
  const [job, setJob] = useState(initial);
  const active = following(job.status);

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setInterval> | null = null;
    const take = (next: BackupView) => {
      if (stopped) return;
      setJob(next);
      if (!following(next.status)) router.refresh();
    };
    const poll = () => {
      timer = setInterval(async () => {
        const response = await fetch(`/api/v1/backups/${initial.id}`, { cache: "no-store" }).catch(() => null);
        if (stopped || !response) return;
        // Gone (deleted, or a restored portal database renumbered it): show the page as it is now.
        if (response.status === 404) return router.refresh();
        if (response.ok) take((await response.json()) as BackupView);
      }, 1000);
    };
    const events = typeof EventSource === "undefined" ? null : new EventSource(`/api/v1/backups/${initial.id}/events`);
    if (events) {
      events.onmessage = (message) => take(JSON.parse(message.data as string) as BackupView);
      events.onerror = () => {
        // Closed by the server once the job ended, or refused (gone): fall back to asking.
        if (events.readyState === EventSource.CLOSED && !stopped && !timer) poll();
      };
    } else {
      poll();
    }
    return () => {
      stopped = true;
      events?.close();
      if (timer) clearInterval(timer);
    };
  }, [active, initial.id, router]);

  if (!active) return <StatusBadge status={job.status} label={job.statusLabel} />;
  const detail = job.bytesTotal > 0 ? ` · ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}` : "";
  return <ProgressBar percent={job.percent} label={`${job.phase}${detail}`} />;
}
