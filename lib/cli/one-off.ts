import { portalDatabaseFile, fromRoot } from "@/lib/config";
import { redactDatabaseUrl, settingsSchema, type SettingKey, type Settings } from "@/lib/settings";
import { SETTING_ENV, settingSources, type SettingSource } from "@/lib/settings-origin";
import { UsageError } from "@/lib/cli/usage";

export interface OneOffOptions {
  "database-url"?: string;
  files?: string[];
  exclude?: string[];
}

/** `--files a,b --files c`: repeated, comma-separated, or both. */
const list = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The settings for one run with the command line's overrides on top; nothing is saved. A value the
 * settings would refuse is refused here too, with the same sentence.
 */
export function oneOffSettings(settings: Settings, options: OneOffOptions): { settings: Settings; overridden: Set<SettingKey> } {
  const overrides: Partial<Settings> = {};
  if (options["database-url"] !== undefined) overrides.databaseUrl = options["database-url"];
  const files = list(options.files);
  if (files) {
    if (files.length === 0) throw new UsageError("--files needs at least one folder");
    overrides.fileRoots = files;
  }
  const exclude = list(options.exclude);
  if (exclude) overrides.excludeGlobs = exclude;
  const parsed = settingsSchema.safeParse({ ...settings, ...overrides });
  if (!parsed.success) {
    const flags: Partial<Record<string, string>> = { databaseUrl: "--database-url", fileRoots: "--files", excludeGlobs: "--exclude" };
    throw new UsageError(parsed.error.issues.map((i) => `${flags[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join("; "));
  }
  return { settings: parsed.data, overridden: new Set(Object.keys(overrides) as SettingKey[]) };
}

function from(key: SettingKey, flag: string, overridden: Set<SettingKey>, sources: Record<SettingKey, SettingSource>): string {
  if (overridden.has(key)) return `from ${flag}, for this run only`;
  const source = sources[key];
  if (source.source === "saved") return "saved in the portal's settings";
  if (source.source === "environment") return `from the environment: ${source.variable}`;
  return `the default; set ${SETTING_ENV[key][0]} or ${flag}`;
}

/** What a backup will read, and where each answer comes from; a database password never shows. */
export async function describeSource(settings: Settings, overridden: Set<SettingKey>): Promise<string[]> {
  const sources = await settingSources();
  const database = settings.databaseUrl ? redactDatabaseUrl(settings.databaseUrl) : `the portal's own database (${portalDatabaseFile()})`;
  const lines = [
    `Database: ${database} (${from("databaseUrl", "--database-url", overridden, sources)})`,
    `Folders:  ${settings.fileRoots.map((r) => fromRoot(r)).join(", ") || "none"} (${from("fileRoots", "--files", overridden, sources)})`,
  ];
  if (settings.excludeGlobs.length || overridden.has("excludeGlobs")) {
    lines.push(`Excluding: ${settings.excludeGlobs.join(", ") || "nothing"} (${from("excludeGlobs", "--exclude", overridden, sources)})`);
  }
  return lines;
}

/** A password typed on a command line is visible to every user of the machine (ps) while it runs. */
export function passwordOnCommandLine(options: OneOffOptions): boolean {
  try {
    return Boolean(options["database-url"] && new URL(options["database-url"]).password);
  } catch {
    return false;
  }
}
