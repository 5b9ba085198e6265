/**
 * A plain form post, so the browser saves the streamed zip to disk as it comes (a script would hold it
 * all in memory). The key goes in the body of this one request and is never stored.
 */
export function DownloadDecryptedForm({ fileName, askKey }: { fileName: string; askKey: boolean }) {
  return (
    <form method="post" action={`/api/v1/backups/download/${encodeURIComponent(fileName)}/decrypted`} className="inline-flex flex-wrap items-center gap-2">
      {askKey && (
        <label className="w-full text-sm">
          <span>Private key or passphrase, to download it decrypted (used for this download only, never stored)</span>
          <textarea
            name="key"
            rows={2}
            autoComplete="off"
            spellCheck={false}
            className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 font-mono text-xs"
          />
        </label>
      )}
      <button type="submit" className="rounded border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100">
        Download decrypted (.zip)
      </button>
    </form>
  );
}
