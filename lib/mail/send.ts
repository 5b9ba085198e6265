import fs from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { fromRoot } from "@/lib/config";
import type { Settings } from "@/lib/settings";
import type { Mail } from "@/lib/mail/compose";

/** Without an SMTP server, mails are written here as .eml files, so none is lost and they can be read. */
export function outboxDir(): string {
  return fromRoot(process.env.MAIL_OUTBOX_DIR ?? "var/mail-outbox");
}

export function mailConfigured(settings: Settings): boolean {
  return settings.smtpHost !== "";
}

/** Sends through SMTP when configured, else writes to the outbox. Returns where it went. */
export async function sendMail(settings: Settings, to: string[], mail: Mail): Promise<string> {
  const message = { from: settings.mailFrom, to, subject: mail.subject, text: mail.text, html: mail.html };
  if (!mailConfigured(settings)) {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
    const info = await transport.sendMail(message);
    const dir = outboxDir();
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${Math.random().toString(36).slice(2, 8)}.eml`);
    await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
    return file;
  }
  const transport = nodemailer.createTransport({
    host: settings.smtpHost,
    port: settings.smtpPort,
    secure: settings.smtpSecure,
    auth: settings.smtpUser ? { user: settings.smtpUser, pass: settings.smtpPassword } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    const info = await transport.sendMail(message);
    return `smtp ${settings.smtpHost}:${settings.smtpPort} (${info.messageId})`;
  } finally {
    transport.close();
  }
}
