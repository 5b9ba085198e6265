"use client";

import { useActionState } from "react";
import { verifyBackupAction, type ActionResult } from "../actions";

export function VerifyForm({ id, prominent }: { id: number; prominent: boolean }) {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(verifyBackupAction, null);
  return (
    <form action={formAction} className="inline-flex items-center gap-2">
      <input type="hidden" name="id" value={id} />
      <button
        type="submit"
        disabled={pending}
        className={`rounded px-4 py-2 font-medium disabled:opacity-60 ${prominent ? "bg-blue-700 text-white hover:bg-blue-800" : "border border-slate-300 hover:bg-slate-100"}`}
      >
        {pending ? "Starting…" : "Verify"}
      </button>
      {result && !result.ok && (
        <span role="alert" className="text-sm text-red-700">
          {result.message}
        </span>
      )}
    </form>
  );
}
