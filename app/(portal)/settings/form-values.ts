import { maskSecret, redactDatabaseUrl, type SettingKey, type Settings } from "@/lib/settings";

/** What the settings form shows in each field: text as typed, lists one per line, checkboxes on or off. */
export type SettingsFormValues = Record<SettingKey, string | boolean>;

/** The stored settings as the form shows them; passwords never leave the server (masked). */
export function formValuesFromSettings(settings: Settings): SettingsFormValues {
  const values = {} as SettingsFormValues;
  for (const key of Object.keys(settings) as SettingKey[]) {
    const value = settings[key];
    values[key] = Array.isArray(value) ? value.join("\n") : typeof value === "number" ? String(value) : value;
  }
  values.databaseUrl = redactDatabaseUrl(settings.databaseUrl);
  values.smtpPassword = maskSecret(settings.smtpPassword);
  values.encryptionPassphrase = maskSecret(settings.encryptionPassphrase);
  return values;
}
