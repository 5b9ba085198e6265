import { createHmac, randomUUID } from "node:crypto";
import { shownUrl, type Webhook } from "@/lib/notify/webhooks";

export const SIGNATURE_HEADER = "X-Safekeep-Signature";
export const TIMESTAMP_HEADER = "X-Safekeep-Timestamp";

/**
 * The signature of a generic webhook: HMAC-SHA256 with the webhook's secret over `<timestamp>.<raw body>`,
 * hex. The timestamp (Unix seconds, sent in its own header) is inside the signed text, so a receiver that
 * refuses old timestamps also refuses a replayed message.
 */
export function signBody(secret: string, timestamp: string, body: string): string {
  return "sha256=" + createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

export interface DeliveryOptions {
  /** Tries in all, the first included. */
  tries?: number;
  timeoutMs?: number;
  /** Waits before the 2nd, 3rd, … try. */
  backoffMs?: number[];
}

export const DEFAULT_DELIVERY: Required<DeliveryOptions> = { tries: 3, timeoutMs: 10_000, backoffMs: [1_000, 4_000] };

export interface Delivery {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  tries: number;
  /** One sentence: what the receiver answered, or why it could not be reached. */
  detail: string;
}

/** Anything the receiver sends back goes into a page or a log: one short line, no token from the URL or the secret. */
function scrub(text: string, hook: Webhook): string {
  let out = text.replace(/\s+/g, " ").trim();
  for (const secret of [hook.secret, hook.url, ...new URL(hook.url).pathname.split("/").filter((s) => s.length >= 8)].filter(Boolean)) {
    out = out.split(secret).join("********");
  }
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}

function networkProblem(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError")
    return `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`;
  const code = e.cause?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: "the connection was refused (nothing listens there)",
    ENOTFOUND: "the host name does not resolve",
    EAI_AGAIN: "the host name could not be resolved (DNS unreachable)",
    ECONNRESET: "the connection was reset",
    EHOSTUNREACH: "the host is unreachable",
    ENETUNREACH: "the network is unreachable",
    CERT_HAS_EXPIRED: "its TLS certificate has expired",
    DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed",
    UND_ERR_SOCKET: "the connection closed before an answer",
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  return e.cause?.message ?? e.message;
}

async function readSome(response: Response): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, 2000);
  } catch {
    return "";
  }
}

/**
 * POSTs a JSON body to a webhook: signed when it has a secret, retried with backoff on network errors and
 * 5xx answers (a receiver that is down may come back), never on 4xx (the receiver refuses this message;
 * sending it again changes nothing). Redirects are not followed: the URL should be the final one.
 */
export async function deliver(hook: Webhook, body: string, event: string, options: DeliveryOptions = {}): Promise<Delivery> {
  const { tries, timeoutMs, backoffMs } = { ...DEFAULT_DELIVERY, ...options };
  const deliveryId = randomUUID();
  let last: Delivery = { ok: false, tries: 0, detail: "not sent" };
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, backoffMs[Math.min(attempt - 2, backoffMs.length - 1)] ?? 1_000));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Safekeep-Webhook/1",
      "x-safekeep-event": event,
      "x-safekeep-delivery": deliveryId,
    };
    if (hook.kind === "generic" && hook.secret) {
      headers[TIMESTAMP_HEADER.toLowerCase()] = timestamp;
      headers[SIGNATURE_HEADER.toLowerCase()] = signBody(hook.secret, timestamp, body);
    }
    let response: Response;
    try {
      response = await fetch(hook.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      last = { ok: false, tries: attempt, detail: scrub(networkProblem(error, timeoutMs), hook) };
      continue;
    }
    const answer = scrub(await readSome(response), hook);
    const statusText = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, status: response.status, tries: attempt, detail: `answered ${statusText}${answer ? `: ${answer}` : ""}` };
    }
    if (response.status >= 300 && response.status < 400) {
      const to = response.headers.get("location");
      return {
        ok: false,
        status: response.status,
        tries: attempt,
        detail: `answered ${statusText}, a redirect${to ? ` to ${shownUrl(new URL(to, hook.url).toString())}` : ""}: enter the final URL instead`,
      };
    }
    last = { ok: false, status: response.status, tries: attempt, detail: `answered ${statusText}${answer ? `: ${answer}` : ""}` };
    if (response.status < 500) return { ...last, detail: `${last.detail} (not retried: the receiver refused the message)` };
  }
  return { ...last, detail: tries > 1 ? `${last.detail} (${last.tries} tries)` : last.detail };
}
