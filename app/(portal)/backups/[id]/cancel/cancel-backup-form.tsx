"use client";

import { useActionState } from "react";
import { cancelBackupAction, type ActionResult } from "../../actions";

export function CancelBackupForm({ id }: { id: number }) {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(cancelBackupAction, null);
  return (
    <form action={formAction} className="space-y-3 rounded-lg border border-amber-200 bg-amber-50 p-4">
      <input type="hidden" name="id" value={id} />
      <label className="flex items-center gap-2">
        <input type="checkbox" name="confirm" value="yes" required />
        <span>Yes, stop this backup and discard what it has written</span>
      </label>
      {result && !result.ok && (
        <p role="alert" className="text-sm text-red-800">
          {result.message}
        </p>
      )}
      <button type="submit" disabled={pending} className="rounded bg-amber-700 px-4 py-2 font-medium text-white hover:bg-amber-800 disabled:opacity-60">
        {pending ? "Cancelling…" : "Cancel backup"}
      </button>
    </form>
  );
}
