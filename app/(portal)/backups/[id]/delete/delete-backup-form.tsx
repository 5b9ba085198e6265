"use client";

import { useActionState } from "react";
import { deleteBackupAction, type ActionResult } from "../../actions";

export function DeleteBackupForm({ id }: { id: number }) {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(deleteBackupAction, null);
  return (
    <form action={formAction} className="space-y-3 rounded-lg border border-red-200 bg-red-50 p-4">
      <input type="hidden" name="id" value={id} />
      <label className="flex items-center gap-2">
        <input type="checkbox" name="confirm" value="yes" required />
        <span>Yes, delete this backup permanently</span>
      </label>
      {result && !result.ok && (
        <p role="alert" className="text-sm text-red-800">
          {result.message}
        </p>
      )}
      <button type="submit" disabled={pending} className="rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800 disabled:opacity-60">
        {pending ? "Deleting…" : "Delete backup"}
      </button>
    </form>
  );
}
