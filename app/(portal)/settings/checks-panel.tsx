"use client";

import { useActionState } from "react";
import { runChecksAction, type ChecksResult } from "./actions";

export function ChecksPanel() {
  const [result, formAction, pending] = useActionState<ChecksResult, FormData>(runChecksAction, null);
  return (
    <form action={formAction} className="mt-6 rounded-lg border border-slate-200 bg-white p-5">
      <div className="flex items-center justify-between gap-3">
        <h2 className="text-lg font-semibold">Check the set-up</h2>
        <button type="submit" disabled={pending} className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:opacity-60">
          {pending ? "Checking…" : "Check"}
        </button>
      </div>
      <p className="mt-1 text-sm text-slate-600">Runs with the saved settings: programs and versions, database, backup directory, free disk.</p>
      {result && (
        <div className="mt-3">
          <p role={result.ok ? "status" : "alert"} className={`text-sm font-medium ${result.ok ? "text-green-800" : "text-red-700"}`}>
            {result.message}
          </p>
          <ul className="mt-2 space-y-1 text-sm" data-testid="checks">
            {result.checks?.map((c) => (
              <li key={c.name} className="flex gap-2">
                <span aria-label={c.ok ? "passed" : "failed"} className={c.ok ? "text-green-700" : "text-red-700"}>
                  {c.ok ? "✔" : "✘"}
                </span>
                <span>
                  <strong>{c.name}</strong>: {c.detail}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
