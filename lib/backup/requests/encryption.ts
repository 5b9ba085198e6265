import { recordAudit } from "@/lib/audit";
import { isEncryptedName } from "@/lib/backup/jobs/names";
import { newKeyPair } from "@/lib/backup/crypto/keys";
import type { Caller } from "@/lib/backup/requests/caller";
import { updateSettings } from "@/lib/backup/requests/settings";
import { SafekeepError } from "@/lib/errors";
import { settingsSchema, type Settings } from "@/lib/settings";
import { settingSources } from "@/lib/settings-origin";

export interface EncryptionView {
  mode: Settings["encryption"];
  recipients: string[];
  hasPassphrase: boolean;
  /** The environment variable the mode comes from, when it is not saved here. */
  fromEnvironment: string | null;
}

/** What the settings page shows: the mode and the public keys; never the passphrase. */
export async function encryptionView(settings: Settings): Promise<EncryptionView> {
  const source = (await settingSources()).encryption;
  return {
    mode: settings.encryption,
    recipients: settings.encryptionRecipients,
    hasPassphrase: settings.encryptionPassphrase !== "",
    fromEnvironment: source.source === "environment" ? source.variable : null,
  };
}

/** An encrypted backup the portal cannot open alone: restore and verify ask for the owner's key. */
export function needsOwnerKey(fileName: string, settings: Settings): boolean {
  return isEncryptedName(fileName) && settings.encryption !== "passphrase";
}

async function saveEncryption(changes: Partial<Settings>, caller: Caller): Promise<Settings> {
  const parsed = settingsSchema.safeParse({ ...caller.settings, ...changes });
  if (!parsed.success) throw new SafekeepError("invalid", parsed.error.issues.map((i) => i.message).join("; "));
  await updateSettings(parsed.data, caller);
  return parsed.data;
}

/**
 * A new key pair: the public key joins the recipients (and encryption to public keys is on); the private
 * key is returned once, for the owner to keep, and never stored anywhere by the portal.
 */
export async function generateEncryptionKey(caller: Caller): Promise<{ identityFile: string; recipient: string }> {
  const pair = newKeyPair();
  const recipients = caller.settings.encryption === "recipients" ? caller.settings.encryptionRecipients : [];
  await saveEncryption({ encryption: "recipients", encryptionRecipients: [...recipients, pair.recipient] }, caller);
  await recordAudit(caller.actor, "settings.encryption-key", pair.recipient);
  return pair;
}

/** Another owner's public key (from `age-keygen` on their own machine). */
export async function addEncryptionRecipient(recipient: string, caller: Caller): Promise<void> {
  const value = recipient.trim();
  const current = caller.settings.encryption === "recipients" ? caller.settings.encryptionRecipients : [];
  if (current.includes(value)) throw new SafekeepError("invalid", "That public key is already in the list");
  await saveEncryption({ encryption: "recipients", encryptionRecipients: [...current, value] }, caller);
}

export async function removeEncryptionRecipient(recipient: string, caller: Caller): Promise<void> {
  const rest = caller.settings.encryptionRecipients.filter((r) => r !== recipient);
  if (rest.length === caller.settings.encryptionRecipients.length) throw new SafekeepError("not_found", "That public key is not in the list");
  await saveEncryption({ encryptionRecipients: rest, encryption: rest.length ? caller.settings.encryption : "off" }, caller);
}

/** The portal keeps the passphrase (sealed in its settings): unattended drills work, and so does a thief on this server. */
export async function setEncryptionPassphrase(passphrase: string, caller: Caller): Promise<void> {
  await saveEncryption({ encryption: "passphrase", encryptionPassphrase: passphrase }, caller);
}

/** New backups are no longer encrypted; the keys stay, so earlier backups can still be opened. */
export async function turnEncryptionOff(caller: Caller): Promise<void> {
  await saveEncryption({ encryption: "off" }, caller);
}
