"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { BackupView } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { ProgressBar } from "@/app/ui/progress-bar";
import { StatusBadge } from "@/app/ui/status-badge";

/** Polls the job's status once a second while it runs, then refreshes the page's server data. */
export function LiveProgress({ initial }: { initial: BackupView }) {
  const router = useRouter();
  const [job, setJob] = useState(initial);
  // Not isActive(): a cancelling job has no progress to follow, and the engine stays out of the client bundle.
  const active = job.status === "queued" || job.status === "running";

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const timer = setInterval(async () => {
      const response = await fetch(`/api/v1/backups/${initial.id}`, { cache: "no-store" }).catch(() => null);
      if (stopped || !response) return;
      // Gone (deleted, or a restored portal database renumbered it): show the page as it is now.
      if (response.status === 404) return router.refresh();
      if (!response.ok) return;
      const next = (await response.json()) as BackupView;
      setJob(next);
      if (next.status !== "queued" && next.status !== "running") router.refresh();
    }, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [active, initial.id, router]);

  if (!active) return <StatusBadge status={job.status} label={job.statusLabel} />;
  const detail = job.bytesTotal > 0 ? ` · ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}` : "";
  return <ProgressBar percent={job.percent} label={`${job.phase}${detail}`} />;
}
