"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { adminAction, type ActionState } from "@/lib/auth/action";
import { addEncryptionRecipient, generateEncryptionKey, removeEncryptionRecipient, turnEncryptionOff, setEncryptionPassphrase } from "@/lib/backup";

/** `identityFile` is in the answer to the one request that made it, and nowhere else, ever. */
export type EncryptionResult = (ActionState & { identityFile?: string; recipient?: string }) | null;

const recipient = z.object({ recipient: z.string().trim().max(200) });

export const generateKeyAction = adminAction(z.object({}), async (_input, caller): Promise<NonNullable<EncryptionResult>> => {
  const pair = await generateEncryptionKey(caller);
  revalidatePath("/settings");
  return { ok: true, message: "New backups are encrypted to the new public key. Keep the private key now: it is shown only this once.", ...pair };
});

export const addRecipientAction = adminAction(recipient, async (input, caller): Promise<ActionState> => {
  await addEncryptionRecipient(input.recipient, caller);
  revalidatePath("/settings");
  return { ok: true, message: "Public key added: new backups can be opened with its private key too" };
});

export const removeRecipientAction = adminAction(recipient, async (input, caller): Promise<ActionState> => {
  await removeEncryptionRecipient(input.recipient, caller);
  revalidatePath("/settings");
  return { ok: true, message: "Public key removed from the list (backups made before still open with its private key)" };
});

export const passphraseAction = adminAction(z.object({ passphrase: z.string().max(1000) }), async ({ passphrase }, caller): Promise<ActionState> => {
  await setEncryptionPassphrase(passphrase, caller);
  revalidatePath("/settings");
  return { ok: true, message: "New backups are encrypted with the passphrase" };
});

export const encryptionOffAction = adminAction(z.object({}), async (_input, caller): Promise<ActionState> => {
  await turnEncryptionOff(caller);
  revalidatePath("/settings");
  return { ok: true, message: "New backups are not encrypted; earlier ones still need their key" };
});
