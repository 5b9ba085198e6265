"use client";

import { useActionState, useState } from "react";
import { startRestoreAction } from "../../restore-actions";
import type { ActionResult } from "../../actions";

export function RestoreForm({
  id,
  fileName,
  hasDatabase,
  hasFiles,
  portalDatabase,
  askKey = false,
  askUnencrypted = false,
}: {
  id: number;
  fileName: string;
  hasDatabase: boolean;
  hasFiles: boolean;
  portalDatabase: boolean;
  /** Encrypted to a key the portal does not hold: the owner pastes it (or picks the key file). */
  askKey?: boolean;
  /** Not encrypted though the settings encrypt: restoring it needs a tick. */
  askUnencrypted?: boolean;
}) {
  const [key, setKey] = useState("");
  const [result, formAction, pending] = useActionState<ActionResult, FormData>(startRestoreAction, null);
  const [typed, setTyped] = useState("");
  const matches = typed.trim() === fileName;
  const choices = [
    { value: "both", label: "Database and files", enabled: hasDatabase && hasFiles },
    { value: "database", label: "Database only", enabled: hasDatabase },
    { value: "files", label: "Files only", enabled: hasFiles },
  ];
  const first = choices.find((c) => c.enabled)?.value ?? "both";
  return (
    <form action={formAction} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <input type="hidden" name="id" value={id} />
      <fieldset>
        <legend className="text-sm font-medium">What to restore</legend>
        {choices.map((c) => (
          <label key={c.value} className={`mt-1 flex items-center gap-2 ${c.enabled ? "" : "text-slate-400"}`}>
            <input type="radio" name="parts" value={c.value} defaultChecked={c.value === first} disabled={!c.enabled} />
            {c.label}
          </label>
        ))}
      </fieldset>
      {portalDatabase && (
        <div className="rounded border border-slate-200 bg-slate-50 p-3 text-sm">
          <p>This is the portal&apos;s own database. Its list of backups, its audit trail and its settings always stay as they are now.</p>
          <label className="mt-2 flex items-center gap-2">
            <input type="checkbox" name="restoreAccounts" value="on" />
            <span>Also restore accounts (users, roles and API tokens as they were in the backup)</span>
          </label>
        </div>
      )}
      {askKey && (
        <div className="rounded border border-slate-200 bg-slate-50 p-3 text-sm">
          <label className="block">
            <span className="font-medium">Private key (AGE-SECRET-KEY-1…) or passphrase</span>
            <textarea
              name="key"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              rows={3}
              autoComplete="off"
              spellCheck={false}
              className="mt-1 block w-full rounded border border-slate-300 px-3 py-2 font-mono text-xs"
            />
          </label>
          <label className="mt-2 block">
            <span>Or pick the key file:</span>{" "}
            <input type="file" accept=".txt,.key,text/plain" onChange={async (e) => setKey((await e.target.files?.[0]?.text()) ?? "")} className="text-xs" />
          </label>
          <p className="mt-2 text-slate-600">It is checked before anything starts, used in memory for this restore only, and never stored or logged.</p>
        </div>
      )}
      {askUnencrypted && (
        <label className="flex items-start gap-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm">
          <input type="checkbox" name="allowUnencrypted" value="on" className="mt-1" />
          <span>This backup is not encrypted, though the settings encrypt backups. Restore it anyway: I know where it comes from.</span>
        </label>
      )}
      <label className="block">
        <span className="text-sm font-medium">
          Type the backup&apos;s name to confirm: <code className="text-xs">{fileName}</code>
        </span>
        <input
          name="confirm"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          className="mt-1 block w-full rounded border border-slate-300 px-3 py-2 font-mono text-sm"
        />
      </label>
      {result && !result.ok && (
        <p role="alert" className="text-sm text-red-800">
          {result.message}
        </p>
      )}
      <button
        type="submit"
        disabled={!matches || pending}
        className="rounded bg-amber-600 px-4 py-2 font-medium text-white hover:bg-amber-700 disabled:cursor-not-allowed disabled:opacity-50"
      >
        {pending ? "Starting…" : "Restore"}
      </button>
    </form>
  );
}
