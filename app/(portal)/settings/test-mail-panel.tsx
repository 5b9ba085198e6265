"use client";

import { useActionState } from "react";
import { sendTestMailAction, type TestMailResult } from "./actions";

export function TestMailPanel() {
  const [result, formAction, pending] = useActionState<TestMailResult, FormData>(sendTestMailAction, null);
  return (
    <form action={formAction} className="mt-6 flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white p-5">
      <button type="submit" disabled={pending} className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:opacity-60">
        {pending ? "Sending…" : "Send test email"}
      </button>
      <span className="text-sm text-slate-600">to yourself, with the saved mail settings</span>
      {result && (
        <p role={result.ok ? "status" : "alert"} className={`w-full text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
          {result.message}
        </p>
      )}
    </form>
  );
}
