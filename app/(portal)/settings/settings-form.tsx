"use client";

import { createContext, startTransition, useActionState, useContext, useState } from "react";
import type { SettingKey } from "@/lib/settings";
import type { MailLinkBase, SettingSource } from "@/lib/backup";
import { formatUtc } from "@/lib/format";
import { resetSettingAction, saveSettingsAction, type SettingsResult } from "./actions";
import type { SettingsFormValues } from "./form-values";

type Sources = Record<SettingKey, SettingSource>;
const SourceContext = createContext<{ sources: Sources; reset: (key: SettingKey) => void; pending: boolean } | null>(null);

/** Where a field's value comes from; a saved one can be reset to what the environment or default gives. */
function SourceNote({ name, label }: { name: SettingKey; label: string }) {
  const context = useContext(SourceContext);
  const source = context?.sources[name];
  if (!context || !source) return null;
  return (
    <p className="mt-1 text-xs text-slate-500" data-testid={`source-${name}`}>
      {source.source === "saved" && (
        <>
          Saved here {/* Not a submit button: Enter in a field must save the form, never reset a field. */}
          <button
            type="button"
            onClick={() => context.reset(name)}
            disabled={context.pending}
            title={`Forget the saved ${label}: it follows the environment or the default again`}
            className="ml-1 rounded border border-slate-300 px-1.5 py-0.5 text-slate-700 hover:bg-slate-100"
          >
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
// Choices are sentences, not paths: in a proportional font more of them fits a phone's width.
const select = "mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-sm";

/** The props that tie a field to its error, so a screen reader reads the error with the field. */
function invalid(name: SettingKey, errors?: string[]) {
  return errors?.length ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {};
}

function Field({
  name,
  label,
  hint,
  errors,
  note,
  children,
}: {
  name: SettingKey;
  label: string;
  hint?: string;
  errors?: string[];
  note?: string;
  children: React.ReactNode;
}) {
  return (
    <div data-field={name}>
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
      <SourceNote name={name} label={label} />
      {note && <p className="mt-1 text-sm text-amber-800">{note}</p>}
      {errors?.length ? (
        <p id={`${name}-error`} data-testid={`error-${name}`} className="mt-1 text-sm font-medium text-red-700">
          {errors.join(" ")}
        </p>
      ) : null}
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

export function SettingsForm({
  values: stored,
  nextDaily,
  nextWeekly,
  mailNote,
  mailLinks,
  sources,
}: {
  values: SettingsFormValues;
  nextDaily: string[];
  nextWeekly: string[];
  mailNote: string | null;
  mailLinks: MailLinkBase;
  sources: Sources;
}) {
  const [saved, formAction, pending] = useActionState<SettingsResult, FormData>(saveSettingsAction, null);
  const [resetResult, resetAction, resetting] = useActionState<SettingsResult, FormData>(resetSettingAction, null);
  const [last, setLast] = useState<"save" | "reset">("save");
  const reset = (key: SettingKey) => {
    const form = new FormData();
    form.set("resetKey", key);
    setLast("reset");
    startTransition(() => resetAction(form));
  };
  const result = last === "reset" ? resetResult : saved;
  const errors = saved?.errors ?? {};
  const notes = saved?.notes ?? {};
  // After an answer the fields show what it sends back (what was typed, when refused). React resets a form
  // to its default values once the action ends, and a select does not take a new default once mounted:
  // the key mounts the fields afresh whenever the values to show change.
  // After a reset the stored values are new: they win over what the last save sent back.
  const values = last === "reset" ? stored : (saved?.values ?? stored);
  const version = JSON.stringify([values, sources]);
  const text = (key: SettingKey) => String(values[key]);
  const on = (key: SettingKey) => values[key] === true;
  return (
    <SourceContext.Provider value={{ sources, reset, pending: pending || resetting }}>
      <form key={version} action={formAction} onSubmit={() => setLast("save")} className="mt-4 space-y-5 rounded-lg border border-slate-200 bg-white p-5">
        <fieldset className="space-y-3">
          <legend className="text-lg font-semibold">Backup module</legend>
          <label className="flex items-center gap-2">
            <input type="checkbox" id="enableBackupModule" name="enableBackupModule" defaultChecked={on("enableBackupModule")} />
            <span>Enable the backup module</span>
          </label>
          <SourceNote name="enableBackupModule" label="the backup module switch" />
          <Field name="backupAccess" label="Who can manage backups" errors={errors.backupAccess}>
            <select
              id="backupAccess"
              name="backupAccess"
              {...invalid("backupAccess", errors.backupAccess)}
              defaultValue={text("backupAccess")}
              className={select}
            >
              <option value="admin">Administrators (roles with the manage-backups permission)</option>
              <option value="user">Every signed-in user</option>
            </select>
          </Field>
        </fieldset>

        <fieldset className="space-y-3">
          <legend className="text-lg font-semibold">What to back up</legend>
          <Field
            name="databaseUrl"
            label="Database URL"
            errors={errors.databaseUrl}
            note={notes.databaseUrl}
            hint="Empty: the portal's own SQLite database. Or file:, mysql://, mariadb://, postgres://. The password is never shown."
          >
            <input
              id="databaseUrl"
              name="databaseUrl"
              {...invalid("databaseUrl", errors.databaseUrl)}
              defaultValue={text("databaseUrl")}
              className={input}
              autoComplete="off"
            />
          </Field>
          <Field name="fileRoots" label="File roots (one per line)" errors={errors.fileRoots} hint="Relative to the portal's folder, or absolute.">
            <textarea id="fileRoots" name="fileRoots" {...invalid("fileRoots", errors.fileRoots)} rows={3} defaultValue={text("fileRoots")} className={input} />
          </Field>
          <Field name="excludeGlobs" label="Exclude (globs, one per line)" errors={errors.excludeGlobs} hint="Relative to each root, e.g. cache/** or *.tmp">
            <textarea
              id="excludeGlobs"
              name="excludeGlobs"
              {...invalid("excludeGlobs", errors.excludeGlobs)}
              rows={3}
              defaultValue={text("excludeGlobs")}
              className={input}
            />
          </Field>
        </fieldset>

        <fieldset className="space-y-3">
          <legend className="text-lg font-semibold">Where and how</legend>
          <Field
            name="backupDir"
            label="Backup directory"
            errors={errors.backupDir}
            hint="Kept private (mode 0700), never inside public/. If it lies inside a file root it is left out of that root's backups and never touched by a restore."
          >
            <input id="backupDir" name="backupDir" {...invalid("backupDir", errors.backupDir)} defaultValue={text("backupDir")} className={input} />
          </Field>
          <Field name="backupName" label="Backup name" errors={errors.backupName} hint="The first part of every archive's file name.">
            <input id="backupName" name="backupName" {...invalid("backupName", errors.backupName)} defaultValue={text("backupName")} className={input} />
          </Field>
          <Field
            name="compression"
            label="Compression"
            errors={errors.compression}
            hint="Photos, videos and archives are stored as they are whatever the choice."
          >
            <select id="compression" name="compression" {...invalid("compression", errors.compression)} defaultValue={text("compression")} className={select}>
              <option value="fast">Fast (zlib level 1): quickest, slightly bigger archives</option>
              <option value="balanced">Balanced (zlib level 6)</option>
              <option value="small">Small (zlib level 9): slowest, smallest archives</option>
            </select>
          </Field>
          <Field
            name="maxBackups"
            label="Backups to keep"
            errors={errors.maxBackups}
            hint="After each successful backup, older ones beyond this number are deleted. Pinned backups are never deleted and do not count."
          >
            <input
              id="maxBackups"
              name="maxBackups"
              {...invalid("maxBackups", errors.maxBackups)}
              type="number"
              min={1}
              defaultValue={text("maxBackups")}
              className={input}
            />
          </Field>
          <Field
            name="retentionPolicy"
            label="Retention on this server"
            errors={errors.retentionPolicy}
            hint="Grandfather-father-son keeps everything from the last 7 days, then one a day for 16 days, a week for 8 weeks, a month for 4 months and a year for 2 years, beside the newest above. A backup whose copy is stored offsite keeps its record: download and restore fetch it from the bucket."
          >
            <select
              id="retentionPolicy"
              name="retentionPolicy"
              {...invalid("retentionPolicy", errors.retentionPolicy)}
              defaultValue={text("retentionPolicy")}
              className={select}
            >
              <option value="count">Keep the newest backups only</option>
              <option value="gfs">Grandfather-father-son</option>
            </select>
          </Field>
          <Field
            name="retentionSizeCapMb"
            label="Size cap on this server (MB)"
            errors={errors.retentionSizeCapMb}
            hint="The oldest backups go until the rest fit; never the newest, never a pinned one. 0 for no cap."
          >
            <input
              id="retentionSizeCapMb"
              name="retentionSizeCapMb"
              {...invalid("retentionSizeCapMb", errors.retentionSizeCapMb)}
              type="number"
              min={0}
              defaultValue={text("retentionSizeCapMb")}
              className={input}
            />
          </Field>
          <label className="flex items-center gap-2">
            <input type="checkbox" id="deleteAfterDownload" name="deleteAfterDownload" defaultChecked={on("deleteAfterDownload")} />
            <span>Delete a backup once it has been downloaded</span>
          </label>
          <SourceNote name="deleteAfterDownload" label="delete after download" />
          <label className="flex items-center gap-2">
            <input type="checkbox" id="verifyAfterBackup" name="verifyAfterBackup" defaultChecked={on("verifyAfterBackup")} />
            <span>Read every backup back before calling it completed (recommended: a backup that says completed can be restored)</span>
          </label>
          <SourceNote name="verifyAfterBackup" label="read-back after writing" />
          <Field name="runtimeBinary" label="Runtime binary" errors={errors.runtimeBinary} hint="The Node.js binary that runs the background process.">
            <input
              id="runtimeBinary"
              name="runtimeBinary"
              {...invalid("runtimeBinary", errors.runtimeBinary)}
              defaultValue={text("runtimeBinary")}
              className={input}
            />
          </Field>
          <Field name="mysqldumpPath" label="mysqldump path" errors={errors.mysqldumpPath}>
            <input
              id="mysqldumpPath"
              name="mysqldumpPath"
              {...invalid("mysqldumpPath", errors.mysqldumpPath)}
              defaultValue={text("mysqldumpPath")}
              className={input}
            />
          </Field>
          <Field name="pgDumpPath" label="pg_dump path" errors={errors.pgDumpPath}>
            <input id="pgDumpPath" name="pgDumpPath" {...invalid("pgDumpPath", errors.pgDumpPath)} defaultValue={text("pgDumpPath")} className={input} />
          </Field>
        </fieldset>

        <fieldset className="space-y-3">
          <legend className="text-lg font-semibold">Schedule and retention</legend>
          <p className="text-xs text-slate-500">
            The portal runs the schedules itself; started with <code>SCHEDULER=off</code>, they are left to <code>npm run schedule</code> or cron. The Backups
            page says whether a scheduler is running.
          </p>
          <Field name="scheduleDaily" label="Daily backup (cron, empty for none)" errors={errors.scheduleDaily}>
            <input
              id="scheduleDaily"
              name="scheduleDaily"
              {...invalid("scheduleDaily", errors.scheduleDaily)}
              defaultValue={text("scheduleDaily")}
              className={input}
            />
            <RunTimes label="daily" runs={nextDaily} />
          </Field>
          <Field name="scheduleWeekly" label="Weekly backup (cron, empty for none)" errors={errors.scheduleWeekly}>
            <input
              id="scheduleWeekly"
              name="scheduleWeekly"
              {...invalid("scheduleWeekly", errors.scheduleWeekly)}
              defaultValue={text("scheduleWeekly")}
              className={input}
            />
            <RunTimes label="weekly" runs={nextWeekly} />
          </Field>
          <Field
            name="drillSchedule"
            label="Restore drill (cron, empty for none)"
            errors={errors.drillSchedule}
            hint="Restores the newest backup into scratch places, compares, and shows 'last proven restorable' on the Backups page; a failed drill is mailed."
          >
            <input
              id="drillSchedule"
              name="drillSchedule"
              {...invalid("drillSchedule", errors.drillSchedule)}
              defaultValue={text("drillSchedule")}
              className={input}
            />
          </Field>
          <label className="flex items-center gap-2">
            <input type="checkbox" id="drillScratchDatabase" name="drillScratchDatabase" defaultChecked={on("drillScratchDatabase")} />
            <span>
              Drills may create a scratch database <code>safekeep_drill_…</code> beside a MySQL/PostgreSQL database (the database user needs the right to create
              it); otherwise the dump is only checked
            </span>
          </label>
          <SourceNote name="drillScratchDatabase" label="scratch database for drills" />
          <Field name="scheduleTimezone" label="Time zone of the schedule" errors={errors.scheduleTimezone} hint="An IANA name, e.g. Europe/Paris or UTC.">
            <input
              id="scheduleTimezone"
              name="scheduleTimezone"
              {...invalid("scheduleTimezone", errors.scheduleTimezone)}
              defaultValue={text("scheduleTimezone")}
              className={input}
            />
          </Field>
        </fieldset>

        <fieldset className="space-y-3">
          <legend className="text-lg font-semibold">Mail</legend>
          {mailNote && (
            <p className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="mail-note">
              {mailNote}
            </p>
          )}
          <p className="text-sm text-slate-700" data-testid="mail-links">
            Links in mails start with <code className="font-mono">{mailLinks.url}</code> ({LINK_SOURCES[mailLinks.source]}).
          </p>
          <Field name="smtpHost" label="SMTP host (empty: write mails to the outbox)" errors={errors.smtpHost}>
            <input id="smtpHost" name="smtpHost" {...invalid("smtpHost", errors.smtpHost)} defaultValue={text("smtpHost")} className={input} />
          </Field>
          <Field name="smtpPort" label="SMTP port" errors={errors.smtpPort}>
            <input id="smtpPort" name="smtpPort" {...invalid("smtpPort", errors.smtpPort)} type="number" defaultValue={text("smtpPort")} className={input} />
          </Field>
          <label className="flex items-center gap-2">
            <input type="checkbox" id="smtpSecure" name="smtpSecure" defaultChecked={on("smtpSecure")} />
            <span>TLS from the start (port 465); otherwise STARTTLS when offered</span>
          </label>
          <SourceNote name="smtpSecure" label="SMTP TLS" />
          <Field name="smtpUser" label="SMTP user" errors={errors.smtpUser}>
            <input
              id="smtpUser"
              name="smtpUser"
              {...invalid("smtpUser", errors.smtpUser)}
              defaultValue={text("smtpUser")}
              className={input}
              autoComplete="off"
            />
          </Field>
          <Field
            name="smtpPassword"
            label="SMTP password"
            errors={errors.smtpPassword}
            note={notes.smtpPassword}
            hint="Never shown: leave the stars to keep it."
          >
            <input
              id="smtpPassword"
              name="smtpPassword"
              {...invalid("smtpPassword", errors.smtpPassword)}
              type="password"
              defaultValue={text("smtpPassword")}
              className={input}
              autoComplete="new-password"
            />
          </Field>
          <Field name="mailFrom" label="From" errors={errors.mailFrom}>
            <input id="mailFrom" name="mailFrom" {...invalid("mailFrom", errors.mailFrom)} defaultValue={text("mailFrom")} className={input} />
          </Field>
          <Field name="notifyEmails" label="Who hears about runs nobody asked for (one address per line; empty: every admin)" errors={errors.notifyEmails}>
            <textarea
              id="notifyEmails"
              name="notifyEmails"
              {...invalid("notifyEmails", errors.notifyEmails)}
              rows={2}
              defaultValue={text("notifyEmails")}
              className={input}
            />
          </Field>
        </fieldset>

        {result && (
          <p
            role={result.ok ? "status" : "alert"}
            data-testid="settings-result"
            className={`rounded px-3 py-2 text-sm ${result.ok ? "bg-green-50 text-green-800" : "bg-red-50 text-red-800"}`}
          >
            {result.message}
          </p>
        )}
        <button type="submit" disabled={pending} className="rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
          {pending ? "Saving…" : "Save settings"}
        </button>
      </form>
    </SourceContext.Provider>
  );
}
