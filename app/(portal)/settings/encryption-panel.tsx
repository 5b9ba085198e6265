"use client";

import { useActionState } from "react";
import type { ActionState } from "@/lib/auth/action";
import type { EncryptionView } from "@/lib/backup";
import {
  addRecipientAction,
  encryptionOffAction,
  generateKeyAction,
  passphraseAction,
  removeRecipientAction,
  type EncryptionResult,
} from "./encryption-actions";

function Answer({ result }: { result: ActionState | null }) {
  if (!result) return null;
  return (
    <p role={result.ok ? "status" : "alert"} className={`mt-2 text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
      {result.message}
    </p>
  );
}

/** The private key, once: to copy or save as a file. It is in this page's memory only until the page is left. */
function NewKey({ identityFile, recipient }: { identityFile: string; recipient: string }) {
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(identityFile)}`;
  return (
    <div role="alert" className="mt-3 rounded border border-red-300 bg-red-50 p-3 text-sm">
      <p className="font-semibold text-red-900">Save this private key now. It is shown only once, and the portal does not keep it.</p>
      <p className="mt-1 text-red-900">
        Without it no backup encrypted to <span className="font-mono break-all">{recipient}</span> can ever be restored. Keep it away from this server (a
        password manager, a printed copy in a safe).
      </p>
      <textarea readOnly value={identityFile} rows={4} className="mt-2 block w-full rounded border border-slate-300 bg-white p-2 font-mono text-xs" />
      <a href={href} download="safekeep-backup-key.txt" className="mt-2 inline-block rounded bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-800">
        Download the key file
      </a>
    </div>
  );
}

export function EncryptionPanel({ view }: { view: EncryptionView }) {
  const [generated, generate, generating] = useActionState<EncryptionResult, FormData>(generateKeyAction, null);
  const [added, add] = useActionState<ActionState | null, FormData>(addRecipientAction, null);
  const [removed, remove] = useActionState<ActionState | null, FormData>(removeRecipientAction, null);
  const [phrased, setPhrase] = useActionState<ActionState | null, FormData>(passphraseAction, null);
  const [off, turnOff] = useActionState<ActionState | null, FormData>(encryptionOffAction, null);
  const state = { off: "Off: backups are written as plain zips", recipients: "On, to public keys", passphrase: "On, with a passphrase the portal keeps" }[
    view.mode
  ];
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-5" aria-labelledby="encryption-heading">
      <h2 id="encryption-heading" className="text-lg font-semibold">
        Encryption at rest
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Backups are encrypted as they are written, in the standard age format (<span className="font-mono">.zip.age</span>): names and contents alike. Any
        backup opens without Safekeep: <span className="font-mono">age -d -i key.txt backup.zip.age &gt; backup.zip</span>.
      </p>
      <p className="mt-2 text-sm" data-testid="encryption-state">
        <strong>Now:</strong> {state}
        {view.fromEnvironment && <span className="text-slate-600"> (from the environment: {view.fromEnvironment}; a change here is saved over it)</span>}
      </p>

      <h3 className="mt-4 font-medium">Public keys (recommended)</h3>
      <p className="text-sm text-slate-600">
        The portal keeps only public keys, so it writes backups it cannot read itself: a stolen server or bucket yields nothing. Restoring, verifying and drills
        then ask for the private key.
      </p>
      {view.recipients.length > 0 && (
        <ul className="mt-2 space-y-1 text-sm">
          {view.recipients.map((r) => (
            <li key={r} className="flex flex-wrap items-center gap-2">
              <span className="font-mono text-xs break-all">{r}</span>
              <form action={remove}>
                <input type="hidden" name="recipient" value={r} />
                <button type="submit" className="text-xs text-red-700 underline">
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <Answer result={removed} />
      <form action={generate} className="mt-2">
        <button type="submit" disabled={generating} className="rounded bg-blue-700 px-3 py-1.5 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
          {generating ? "Generating…" : "Generate a key pair"}
        </button>
      </form>
      {generated?.ok && generated.identityFile && generated.recipient ? <NewKey identityFile={generated.identityFile} recipient={generated.recipient} /> : null}
      {generated && !generated.ok && <Answer result={generated} />}
      <form action={add} className="mt-3 flex flex-wrap items-end gap-2">
        <label className="min-w-0 flex-1">
          <span className="text-sm">Or add a public key made elsewhere (age-keygen)</span>
          <input
            name="recipient"
            placeholder="age1…"
            autoComplete="off"
            spellCheck={false}
            className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5 font-mono text-xs"
          />
        </label>
        <button type="submit" className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100">
          Add
        </button>
      </form>
      <Answer result={added} />

      <h3 className="mt-5 font-medium">Passphrase</h3>
      <p className="text-sm text-slate-600">
        The portal keeps the passphrase (sealed in its settings) so unattended restore drills work. The trade: anyone who takes this server with its settings
        key can read the backups too.
      </p>
      <form action={setPhrase} className="mt-2 flex flex-wrap items-end gap-2">
        <label className="min-w-0 flex-1">
          <span className="text-sm">{view.hasPassphrase ? "A passphrase is set; type a new one to change it" : "Passphrase (at least 12 characters)"}</span>
          <input type="password" name="passphrase" autoComplete="new-password" className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5" />
        </label>
        <button type="submit" className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100">
          Use the passphrase
        </button>
      </form>
      <Answer result={phrased} />

      {view.mode !== "off" && (
        <form action={turnOff} className="mt-5">
          <button type="submit" className="text-sm text-red-700 underline">
            Stop encrypting new backups
          </button>
          <Answer result={off} />
        </form>
      )}
    </section>
  );
}
