"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/auth/action";
import { pushOffsiteAction } from "./offsite-actions";

export function PushForm({ id }: { id: number }) {
  const [result, formAction, pending] = useActionState<ActionState | null, FormData>(pushOffsiteAction, null);
  return (
    <form action={formAction} className="inline-flex items-center gap-2">
      <input type="hidden" name="id" value={id} />
      <button type="submit" disabled={pending} className="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 disabled:opacity-60">
        {pending ? "Starting…" : "Copy offsite again"}
      </button>
      {result && (
        <span role={result.ok ? "status" : "alert"} className={`text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
          {result.message}
        </span>
      )}
    </form>
  );
}
