"use client";

import { useActionState } from "react";
import { createBackupAction, type ActionResult } from "./actions";

export function CreateBackupForm() {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(createBackupAction, null);
  return (
    <form action={formAction} className="flex flex-col items-end gap-1">
      <button type="submit" disabled={pending} className="rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
        {pending ? "Starting…" : "Create backup"}
      </button>
      {result && (
        <p role={result.ok ? "status" : "alert"} className={`text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
          {result.message}
        </p>
      )}
    </form>
  );
}
