"use client";

import { createContext, startTransition, useActionState, useContext, useState } from "react";
import type { Settings } from "@/lib/settings";
import type { MailLinkBase, SettingSource } from "@/lib/backup";
import { formatUtc } from "@/lib/format";
import { resetSettingAction, saveSettingsAction, type SettingsResult } from "./actions";

type Sources = Record<keyof Settings, SettingSource>;
const SourceContext = createContext<{ sources: Sources; reset: (key: keyof Settings) => void; pending: boolean } | null>(null);

/** Where a field's value comes from; a saved one can be reset to what the environment or default gives. */
function SourceNote({ name, label }: { name: keyof Settings; label: string }) {
  const context = useContext(SourceContext);
  const source = context?.sources[name];
  if (!context || !source) return null;
  return (
    <p className="mt-1 text-xs text-slate-500" data-testid={`source-${name}`}>
      {source.source === "saved" && (
        <>
          Saved here{" "}
          {/* Not a submit button: Enter in a field must save the form, never reset a field. */}
          <button type="button" onClick={() => context.reset(name)} disabled={context.pending}
            title={`Forget the saved ${label}: it follows the environment or the default again`} className="ml-1 rounded border border-slate-300 px-1.5 py-0.5 text-slate-700 hover:bg-slate-100">
            Reset to default
          </button>
        </>
      )}
      {source.source === "environment" && <>From the environment ({source.variable})</>}
      {source.source === "default" && <>Default</>}
    </p>
  );
}

const input = "mt-1 block w-full rounded border border-slate-300 px-3 py-2 font-mono text-sm";

function Field({ name, label, hint, errors, children }: {
  name: keyof Settings; label: string; hint?: string; errors?: string[]; children: React.ReactNode;
}) {
  return (
    <div>
      <label htmlFor={name} className="block text-sm font-medium">{label}</label>
      {children}
      {hint && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
      <SourceNote name={name} label={label} />
      {errors?.map((e) => <p key={e} className="mt-1 text-sm text-red-700">{e}</p>)}
    </div>
  );
}

function RunTimes({ label, runs }: { label: string; runs: string[] }) {
  if (runs.length === 0) return <p className="mt-1 text-xs text-slate-500">{label}: off</p>;
  return (
    <p className="mt-1 text-xs text-slate-500" data-testid={`next-${label}`}>
      Next runs: {runs.map((r) => formatUtc(r, "minute")).join(" · ")}
    </p>
  );
}

const LINK_SOURCES: Record<MailLinkBase["source"], string> = {
  APP_URL: "from APP_URL",
  NEXTAUTH_URL: "from NEXTAUTH_URL",
  "last used": "the address this portal was last used at; set APP_URL to fix it",
  default: "nobody has signed in yet; set APP_URL to fix it",
};

export function SettingsForm({ settings, nextDaily, nextWeekly, mailNote, mailLinks, sources }: {
  settings: Settings; nextDaily: string[]; nextWeekly: string[]; mailNote: string | null; mailLinks: MailLinkBase; sources: Sources;
}) {
  const [saved, formAction, pending] = useActionState<SettingsResult, FormData>(saveSettingsAction, null);
  const [resetResult, resetAction, resetting] = useActionState<SettingsResult, FormData>(resetSettingAction, null);
  const [last, setLast] = useState<"save" | "reset">("save");
  const reset = (key: keyof Settings) => {
    const form = new FormData();
    form.set("resetKey", key);
    setLast("reset");
    startTransition(() => resetAction(form));
  };
  const result = last === "reset" ? resetResult : saved;
  const errors = saved?.errors ?? {};
  // New values from the server (after a reset) re-fill the fields, which otherwise keep what they first showed.
  const version = JSON.stringify([settings, sources]);
  return (
    <SourceContext.Provider value={{ sources, reset, pending: pending || resetting }}>
    <form action={formAction} onSubmit={() => setLast("save")} className="mt-4 space-y-5 rounded-lg border border-slate-200 bg-white p-5">
      <div key={version} className="space-y-5">
      <fieldset className="space-y-3">
        <legend className="text-lg font-semibold">Backup module</legend>
        <label className="flex items-center gap-2">
          <input type="checkbox" id="enableBackupModule" name="enableBackupModule" defaultChecked={settings.enableBackupModule} />
          <span>Enable the backup module</span>
        </label>
        <SourceNote name="enableBackupModule" label="Enable the backup module" />
        <Field name="backupAccess" label="Who can manage backups" errors={errors.backupAccess}>
          <select id="backupAccess" name="backupAccess" defaultValue={settings.backupAccess} className={input}>
            <option value="admin">Administrators (roles with the manage-backups permission)</option>
            <option value="user">Every signed-in user</option>
          </select>
        </Field>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-lg font-semibold">What to back up</legend>
        <Field name="databaseUrl" label="Database URL" errors={errors.databaseUrl}
          hint="Empty: the portal's own SQLite database. Or file:, mysql://, mariadb://, postgres://. The password is never shown.">
          <input id="databaseUrl" name="databaseUrl" defaultValue={settings.databaseUrl} className={input} autoComplete="off" />
        </Field>
        <Field name="fileRoots" label="File roots (one per line)" errors={errors.fileRoots} hint="Relative to the portal's folder, or absolute.">
          <textarea id="fileRoots" name="fileRoots" rows={3} defaultValue={settings.fileRoots.join("\n")} className={input} />
        </Field>
        <Field name="excludeGlobs" label="Exclude (globs, one per line)" errors={errors.excludeGlobs} hint="Relative to each root, e.g. cache/** or *.tmp">
          <textarea id="excludeGlobs" name="excludeGlobs" rows={3} defaultValue={settings.excludeGlobs.join("\n")} className={input} />
        </Field>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-lg font-semibold">Where and how</legend>
        <Field name="backupDir" label="Backup directory" errors={errors.backupDir} hint="Kept private (mode 0700), never inside public/. If it lies inside a file root it is left out of that root's backups and never touched by a restore.">
          <input id="backupDir" name="backupDir" defaultValue={settings.backupDir} className={input} />
        </Field>
        <Field name="backupName" label="Backup name" errors={errors.backupName} hint="The first part of every archive's file name.">
          <input id="backupName" name="backupName" defaultValue={settings.backupName} className={input} />
        </Field>
        <Field name="compression" label="Compression" errors={errors.compression}
          hint="Photos, videos and archives are stored as they are whatever the choice.">
          <select id="compression" name="compression" defaultValue={settings.compression} className={input}>
            <option value="fast">Fast (zlib level 1): quickest, slightly bigger archives</option>
            <option value="balanced">Balanced (zlib level 6)</option>
            <option value="small">Small (zlib level 9): slowest, smallest archives</option>
          </select>
        </Field>
        <Field name="maxBackups" label="Backups to keep" errors={errors.maxBackups}
          hint="After each successful backup, older ones beyond this number are deleted. Pinned backups are never deleted and do not count.">
          <input id="maxBackups" name="maxBackups" type="number" min={1} defaultValue={settings.maxBackups} className={input} />
        </Field>
        <label className="flex items-center gap-2">
          <input type="checkbox" id="deleteAfterDownload" name="deleteAfterDownload" defaultChecked={settings.deleteAfterDownload} />
          <span>Delete a backup once it has been downloaded</span>
        </label>
        <SourceNote name="deleteAfterDownload" label="Delete after download" />
        <label className="flex items-center gap-2">
          <input type="checkbox" id="verifyAfterBackup" name="verifyAfterBackup" defaultChecked={settings.verifyAfterBackup} />
          <span>Read every backup back before calling it completed (recommended: a backup that says completed can be restored)</span>
        </label>
        <SourceNote name="verifyAfterBackup" label="Read every backup back" />
        <Field name="runtimeBinary" label="Runtime binary" errors={errors.runtimeBinary} hint="The Node.js binary that runs the background process.">
          <input id="runtimeBinary" name="runtimeBinary" defaultValue={settings.runtimeBinary} className={input} />
        </Field>
        <Field name="mysqldumpPath" label="mysqldump path" errors={errors.mysqldumpPath}>
          <input id="mysqldumpPath" name="mysqldumpPath" defaultValue={settings.mysqldumpPath} className={input} />
        </Field>
        <Field name="pgDumpPath" label="pg_dump path" errors={errors.pgDumpPath}>
          <input id="pgDumpPath" name="pgDumpPath" defaultValue={settings.pgDumpPath} className={input} />
        </Field>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-lg font-semibold">Schedule and retention</legend>
        <p className="text-xs text-slate-500">The portal runs the schedules itself; started with <code>SCHEDULER=off</code>, they are left to <code>npm run schedule</code> or cron. The Backups page says whether a scheduler is running.</p>
        <Field name="scheduleDaily" label="Daily backup (cron, empty for none)" errors={errors.scheduleDaily}>
          <input id="scheduleDaily" name="scheduleDaily" defaultValue={settings.scheduleDaily} className={input} />
          <RunTimes label="daily" runs={nextDaily} />
        </Field>
        <Field name="scheduleWeekly" label="Weekly backup (cron, empty for none)" errors={errors.scheduleWeekly}>
          <input id="scheduleWeekly" name="scheduleWeekly" defaultValue={settings.scheduleWeekly} className={input} />
          <RunTimes label="weekly" runs={nextWeekly} />
        </Field>
        <Field name="drillSchedule" label="Restore drill (cron, empty for none)" errors={errors.drillSchedule}
          hint="Restores the newest backup into scratch places, compares, and shows 'last proven restorable' on the Backups page; a failed drill is mailed.">
          <input id="drillSchedule" name="drillSchedule" defaultValue={settings.drillSchedule} className={input} />
        </Field>
        <label className="flex items-center gap-2">
          <input type="checkbox" id="drillScratchDatabase" name="drillScratchDatabase" defaultChecked={settings.drillScratchDatabase} />
          <span>Drills may create a scratch database <code>safekeep_drill_…</code> beside a MySQL/PostgreSQL database (the database user needs the right to create it); otherwise the dump is only checked</span>
        </label>
        <Field name="scheduleTimezone" label="Time zone of the schedule" errors={errors.scheduleTimezone} hint="An IANA name, e.g. Europe/Paris or UTC.">
          <input id="scheduleTimezone" name="scheduleTimezone" defaultValue={settings.scheduleTimezone} className={input} />
        </Field>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-lg font-semibold">Mail</legend>
        {mailNote && <p className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="mail-note">{mailNote}</p>}
        <p className="text-sm text-slate-700" data-testid="mail-links">
          Links in mails start with <code className="font-mono">{mailLinks.url}</code> ({LINK_SOURCES[mailLinks.source]}).
        </p>
        <Field name="smtpHost" label="SMTP host (empty: write mails to the outbox)" errors={errors.smtpHost}>
          <input id="smtpHost" name="smtpHost" defaultValue={settings.smtpHost} className={input} />
        </Field>
        <Field name="smtpPort" label="SMTP port" errors={errors.smtpPort}>
          <input id="smtpPort" name="smtpPort" type="number" defaultValue={settings.smtpPort} className={input} />
        </Field>
        <label className="flex items-center gap-2">
          <input type="checkbox" id="smtpSecure" name="smtpSecure" defaultChecked={settings.smtpSecure} />
          <span>TLS from the start (port 465); otherwise STARTTLS when offered</span>
        </label>
        <SourceNote name="smtpSecure" label="SMTP TLS" />
        <Field name="smtpUser" label="SMTP user" errors={errors.smtpUser}>
          <input id="smtpUser" name="smtpUser" defaultValue={settings.smtpUser} className={input} autoComplete="off" />
        </Field>
        <Field name="smtpPassword" label="SMTP password" errors={errors.smtpPassword} hint="Never shown: leave the stars to keep it.">
          <input id="smtpPassword" name="smtpPassword" type="password" defaultValue={settings.smtpPassword} className={input} autoComplete="new-password" />
        </Field>
        <Field name="mailFrom" label="From" errors={errors.mailFrom}>
          <input id="mailFrom" name="mailFrom" defaultValue={settings.mailFrom} className={input} />
        </Field>
        <Field name="notifyEmails" label="Who hears about runs nobody asked for (one address per line; empty: every admin)" errors={errors.notifyEmails}>
          <textarea id="notifyEmails" name="notifyEmails" rows={2} defaultValue={settings.notifyEmails.join("\n")} className={input} />
        </Field>
      </fieldset>
      </div>

      {result && (
        <p role={result.ok ? "status" : "alert"} className={`text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>{result.message}</p>
      )}
      <button type="submit" disabled={pending}
        className="rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
        {pending ? "Saving…" : "Save settings"}
      </button>
    </form>
    </SourceContext.Provider>
  );
}
