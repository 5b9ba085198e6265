"use client";

import { useActionState } from "react";
import type { DestinationView } from "@/lib/backup";
import { checkDestinationAction, removeDestinationAction, saveDestinationAction, type OffsiteResult } from "./offsite-actions";

const input = "mt-1 w-full rounded border border-slate-300 px-2 py-1 text-sm disabled:bg-slate-100";

function Field({
  label,
  name,
  value,
  disabled,
  error,
  type = "text",
  placeholder,
}: {
  label: string;
  name: string;
  value: string | number;
  disabled: boolean;
  error?: string[];
  type?: string;
  placeholder?: string;
}) {
  return (
    <label className="block text-sm">
      {label}
      <input
        name={name}
        type={type}
        defaultValue={value}
        disabled={disabled}
        placeholder={placeholder}
        autoComplete="off"
        className={input}
        aria-invalid={error ? true : undefined}
      />
      {error && <span className="text-xs text-red-700">{error[0]}</span>}
    </label>
  );
}

function Result({ result }: { result: OffsiteResult }) {
  if (!result) return null;
  return (
    <div className="mt-2">
      <p role={result.ok ? "status" : "alert"} className={`text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
        {result.message}
      </p>
      {result.checks && (
        <ul className="mt-1 space-y-0.5 text-sm" data-testid="offsite-checks">
          {result.checks.map((c) => (
            <li key={c.step} className="flex gap-2">
              <span aria-label={c.ok ? "passed" : "failed"} className={c.ok ? "text-green-700" : "text-red-700"}>
                {c.ok ? "✔" : "✘"}
              </span>
              <span>
                <strong>{c.step}</strong>: {c.message}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** One destination (or a blank one to add): its fields, Save, Check and Remove. */
export function OffsiteDestinationForm({ destination }: { destination: DestinationView | null }) {
  const [saved, save, saving] = useActionState<OffsiteResult, FormData>(saveDestinationAction, null);
  const [checked, check, checking] = useActionState<OffsiteResult, FormData>(checkDestinationAction, null);
  const [removed, remove, removing] = useActionState<OffsiteResult, FormData>(removeDestinationAction, null);
  const d = destination;
  const locked = Boolean(d?.fromEnvironment);
  const errors = saved && !saved.ok ? saved.errors : undefined;
  return (
    <div className="rounded border border-slate-200 p-3" data-testid={`destination-${d?.id ?? "new"}`}>
      {d && (
        <h3 className="font-medium">
          {d.name}{" "}
          <span className="text-sm font-normal text-slate-500">
            s3://{d.bucket}/{d.prefix}
          </span>
        </h3>
      )}
      {locked && <p className="text-sm text-slate-600">Set by the environment (AWS_*, BACKUP_S3_*): change it there.</p>}
      <form action={save} className="mt-2 grid grid-cols-1 gap-2 sm:grid-cols-2">
        <Field label="Id (letters, digits, -)" name="id" value={d?.id ?? ""} disabled={locked || Boolean(d)} error={errors?.id} placeholder="r2-main" />
        {d && <input type="hidden" name="id" value={d.id} />}
        <Field label="Name" name="name" value={d?.name ?? ""} disabled={locked} error={errors?.name} />
        <Field
          label="Endpoint (empty for AWS S3)"
          name="endpoint"
          value={d?.endpoint ?? ""}
          disabled={locked}
          error={errors?.endpoint}
          placeholder="https://<account>.r2.cloudflarestorage.com"
        />
        <Field label="Region" name="region" value={d?.region ?? ""} disabled={locked} error={errors?.region} placeholder="us-east-1 (auto for R2)" />
        <Field label="Bucket" name="bucket" value={d?.bucket ?? ""} disabled={locked} error={errors?.bucket} />
        <Field label="Prefix (folder in the bucket)" name="prefix" value={d?.prefix ?? ""} disabled={locked} error={errors?.prefix} />
        <Field label="Access key ID" name="accessKeyId" value={d?.accessKeyId ?? ""} disabled={locked} error={errors?.accessKeyId} />
        <Field
          label="Secret access key"
          name="secretAccessKey"
          type="password"
          value={d?.secretAccessKey ?? ""}
          disabled={locked}
          error={errors?.secretAccessKey}
        />
        <Field label="Keep the newest N copies here" name="keepLast" type="number" value={d?.keepLast ?? 30} disabled={locked} error={errors?.keepLast} />
        <Field label="Size cap here (MB, 0 for none)" name="sizeCapMb" type="number" value={d?.sizeCapMb ?? 0} disabled={locked} error={errors?.sizeCapMb} />
        <div className="flex flex-col gap-1 text-sm">
          <label>
            <input type="checkbox" name="forcePathStyle" defaultChecked={d?.forcePathStyle ?? false} disabled={locked} /> Path-style addresses (MinIO and most
            self-hosted servers)
          </label>
          <label>
            <input type="checkbox" name="gfs" defaultChecked={d?.gfs ?? false} disabled={locked} /> Grandfather-father-son retention
          </label>
          <label>
            <input type="checkbox" name="remoteOnly" defaultChecked={d?.remoteOnly ?? false} disabled={locked} /> Remote only (no local copy)
          </label>
        </div>
        {!locked && (
          <div className="sm:col-span-2">
            <button type="submit" disabled={saving} className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-60">
              {saving ? "Saving…" : d ? "Save" : "Add destination"}
            </button>
          </div>
        )}
      </form>
      <Result result={saved} />
      {d && (
        <div className="mt-2 flex flex-wrap gap-2">
          <form action={check}>
            <input type="hidden" name="id" value={d.id} />
            <button type="submit" disabled={checking} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-60">
              {checking ? "Checking…" : "Check"}
            </button>
          </form>
          {!locked && (
            <form action={remove}>
              <input type="hidden" name="id" value={d.id} />
              <button
                type="submit"
                disabled={removing}
                className="rounded border border-red-300 px-3 py-1.5 text-sm text-red-700 hover:bg-red-50 disabled:opacity-60"
              >
                {removing ? "Removing…" : "Remove"}
              </button>
            </form>
          )}
        </div>
      )}
      <Result result={checked} />
      <Result result={removed} />
    </div>
  );
}
