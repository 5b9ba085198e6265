"use client";

import { useActionState } from "react";
import { startDrillAction, type ActionResult } from "./actions";

export function DrillForm() {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(startDrillAction, null);
  return (
    <form action={formAction} className="flex flex-col items-end gap-1">
      <button type="submit" disabled={pending} className="rounded border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 disabled:opacity-60">
        {pending ? "Starting…" : "Run a restore drill"}
      </button>
      {result && !result.ok && (
        <p role="alert" className="text-sm text-red-700">
          {result.message}
        </p>
      )}
    </form>
  );
}
