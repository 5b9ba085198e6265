"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

const STILL_RUNNING = new Set(["queued", "running", "cancelling"]);

/**
 * A job's log. While the job is active it is read again every second, and once the job ends the page is
 * refreshed, which brings the final log and outcome with it. Long lines wrap: no sideways scrolling.
 */
export function LiveLog({ id, initial, active }: { id: number; initial: string; active: boolean }) {
  const router = useRouter();
  const [polled, setPolled] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const text = active && polled !== null ? polled : initial;

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const timer = setInterval(async () => {
      const response = await fetch(`/api/v1/backups/${id}/log`, { cache: "no-store" }).catch(() => null);
      if (stopped || !response?.ok) return;
      const log = await response.text();
      if (stopped) return;
      setPolled(log);
      if (!STILL_RUNNING.has(response.headers.get("X-Job-Status") ?? "")) {
        stopped = true;
        router.refresh();
      }
    }, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [active, id, router]);

  // Follow the end, as `tail -f` does, unless the reader has scrolled up to read something.
  const atEnd = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <pre
      ref={box}
      data-testid="backup-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
      className="mt-2 max-h-96 overflow-y-auto whitespace-pre-wrap break-words rounded-lg bg-slate-900 p-3 text-xs text-slate-100 [overflow-wrap:anywhere]"
    >
      {text || (active ? "(nothing yet)" : "(empty)")}
    </pre>
  );
}
