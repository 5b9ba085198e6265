"use client";

import { useActionState } from "react";
import { createTokenAction, revokeTokenAction, type TokenResult } from "./actions";

export function CreateTokenForm() {
  const [result, formAction, pending] = useActionState<TokenResult, FormData>(createTokenAction, null);
  return (
    <form action={formAction} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <label className="block">
        <span className="text-sm font-medium">New token&apos;s name</span>
        <input
          name="name"
          required
          maxLength={100}
          placeholder="e.g. nightly off-site copy"
          className="mt-1 block w-full rounded border border-slate-300 px-3 py-2 text-sm"
        />
      </label>
      <button type="submit" disabled={pending} className="rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
        {pending ? "Creating…" : "Create token"}
      </button>
      {result && (
        <div role={result.ok ? "status" : "alert"} className={`text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
          <p>{result.message}</p>
          {result.token && (
            <code data-testid="new-token" className="mt-1 block break-all rounded bg-slate-100 p-2 text-slate-900">
              {result.token}
            </code>
          )}
        </div>
      )}
    </form>
  );
}

export function RevokeTokenButton({ id, name }: { id: number; name: string }) {
  const [result, formAction, pending] = useActionState<TokenResult, FormData>(revokeTokenAction, null);
  return (
    <form action={formAction}>
      <input type="hidden" name="id" value={id} />
      <button
        type="submit"
        disabled={pending}
        aria-label={`Revoke ${name}`}
        className="rounded border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50"
      >
        Revoke
      </button>
      {result && !result.ok && (
        <span role="alert" className="ml-2 text-xs text-red-700">
          {result.message}
        </span>
      )}
    </form>
  );
}
