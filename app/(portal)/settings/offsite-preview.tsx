import { offsiteRetentionPreview } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { loadSettings } from "@/lib/settings";

/** Before retention acts: what the policy would delete next on this server and in each destination. */
export async function OffsiteRetentionPreview() {
  const preview = await offsiteRetentionPreview(await loadSettings()).catch(() => []);
  if (!preview.length) return null;
  return (
    <div className="mt-4" data-testid="offsite-retention-preview">
      <h3 className="font-medium">What retention would delete next</h3>
      {preview.map((p) => (
        <div key={p.destination} className="mt-1 text-sm">
          <p className="text-slate-700">
            {p.destination}: {p.error ?? (p.items.length ? `${p.items.length} backup(s)` : "nothing")}
          </p>
          <ul className="ml-4 list-disc">
            {p.items.map((i) => (
              <li key={i.url}>
                <code className="text-xs">{i.url}</code> — {i.createdAt.slice(0, 16).replace("T", " ")} UTC, {formatBytes(i.sizeBytes)} ({i.reason})
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}
