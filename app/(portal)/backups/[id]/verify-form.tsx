"use client";

import { useActionState } from "react";
import { verifyBackupAction, type ActionResult } from "../actions";

/** `askKey`: an encrypted backup the portal cannot open alone; its owner gives the private key for this check. */
export function VerifyForm({ id, prominent, askKey = false }: { id: number; prominent: boolean; askKey?: boolean }) {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(verifyBackupAction, null);
  return (
    <form action={formAction} className="inline-flex flex-wrap items-center gap-2">
      <input type="hidden" name="id" value={id} />
      {askKey && (
        <label className="w-full text-sm">
          <span>Private key or passphrase (used for this check only, never stored)</span>
          <textarea
            name="key"
            rows={2}
            autoComplete="off"
            spellCheck={false}
            className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 font-mono text-xs"
          />
        </label>
      )}
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
