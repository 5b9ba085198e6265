"use client";

import { useActionState } from "react";
import { setPinnedAction, type ActionResult } from "../actions";

export function PinForm({ id, pinned }: { id: number; pinned: boolean }) {
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(setPinnedAction, null);
  return (
    <form action={formAction} className="inline-flex items-center gap-2">
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="pinned" value={pinned ? "false" : "true"} />
      <button type="submit" disabled={pending} className="rounded border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 disabled:opacity-60">
        {pinned ? "Unpin" : "Pin (keep forever)"}
      </button>
      {result && !result.ok && (
        <span role="alert" className="text-sm text-red-700">
          {result.message}
        </span>
      )}
    </form>
  );
}
