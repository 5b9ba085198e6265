import net from "node:net";
import { peerAddress } from "@/lib/http/connection-stamp";

type HeaderSource = { get(name: string): string | null };

/** "::ffff:10.0.0.1" is how Node shows an IPv4 peer on a dual-stack socket: compare it as "10.0.0.1". */
function normalise(address: string): string | null {
  const trimmed = address.trim().replace(/^\[(.*)\]$/, "$1");
  const plain = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed)?.[1] ?? trimmed;
  return net.isIP(plain) ? plain.toLowerCase() : null;
}

/** `TRUSTED_PROXY`: the addresses of the reverse proxies in front of the portal, comma-separated. */
export function trustedProxies(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env.TRUSTED_PROXY ?? "")
      .split(",")
      .map(normalise)
      .filter((a): a is string => a !== null),
  );
}

/**
 * The address of whoever sent the request, for the sign-in limits and the audit trail. It is the peer of
 * the connection, read from the socket (lib/http/connection-stamp.ts), because `X-Forwarded-For` is
 * whatever the client wrote. Only when that peer is a proxy named in `TRUSTED_PROXY` is the header read,
 * from the right (what the proxies added) to the first address that is not one of them.
 * Null where the connection is unknown (no stamp: the CLI, tests calling in directly).
 */
export function clientAddress(headers: HeaderSource, env: NodeJS.ProcessEnv = process.env): string | null {
  const peerHeader = peerAddress(headers);
  const peer = peerHeader ? normalise(peerHeader) : null;
  if (!peer) return null;
  const trusted = trustedProxies(env);
  if (!trusted.has(peer)) return peer;
  const hops = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalise(hops[i]!);
    if (!hop) return peer; // A forged or garbled entry: stop at what the proxy itself vouches for.
    if (!trusted.has(hop)) return hop;
  }
  return peer;
}

/** The same for the plain header object next-auth hands to `authorize`. */
export function clientAddressFromRecord(headers: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const get = (name: string) => {
    const value = headers?.[name];
    return typeof value === "string" ? value : Array.isArray(value) ? String(value[0] ?? "") || null : null;
  };
  return clientAddress({ get }, env);
}
