import { listDestinationViews } from "@/lib/backup";
import { OffsiteDestinationForm } from "./offsite-form";
import { OffsiteRetentionPreview } from "./offsite-preview";

/** Settings → Offsite copies: every destination (the environment's read-only), and a form to add one. */
export async function OffsitePanel() {
  const destinations = await listDestinationViews().catch((error: Error) => error);
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-5" aria-labelledby="offsite-heading">
      <h2 id="offsite-heading" className="text-lg font-semibold">
        Offsite copies
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        After each backup, a copy goes to every S3-compatible bucket below (AWS S3, Cloudflare R2, Backblaze B2, Wasabi, MinIO). Secrets are stored encrypted
        and never shown again.
      </p>
      {destinations instanceof Error ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {destinations.message}
        </p>
      ) : (
        <div className="mt-3 space-y-4">
          {destinations.map((d) => (
            <OffsiteDestinationForm key={d.id} destination={d} />
          ))}
          <details className="rounded border border-dashed border-slate-300 p-3">
            <summary className="cursor-pointer text-sm font-medium">Add a destination</summary>
            <OffsiteDestinationForm destination={null} />
          </details>
          <OffsiteRetentionPreview />
        </div>
      )}
    </section>
  );
}
