import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";

/**
 * Next.js hands route handlers a web Request: no socket, and an `X-Forwarded-For` the client may have
 * written itself (Next fills it in from the socket only when it is missing). Two things need the real
 * connection: the sign-in limit and the audit need the peer's address, and delete-after-download needs to
 * know the client got every byte. Installed once at start (instrumentation.ts), this stamps every request,
 * overwriting anything the client sent under the same names, with the peer's address and an id under which
 * its socket can be looked up while the request lasts.
 */
export const PEER_HEADER = "x-safekeep-peer";
export const CONNECTION_HEADER = "x-safekeep-connection";

type Stamp = { installed: boolean; sockets: Map<string, Socket> };
const stamp: Stamp = ((globalThis as { safekeepConnectionStamp?: Stamp }).safekeepConnectionStamp ??= { installed: false, sockets: new Map() });

export function installConnectionStamp(): void {
  if (stamp.installed) return;
  stamp.installed = true;
  for (const Server of [http.Server, https.Server]) {
    const emit = Server.prototype.emit;
    Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
        const id = randomUUID();
        req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
        req.headers[CONNECTION_HEADER] = id;
        stamp.sockets.set(id, req.socket);
        res.once("close", () => stamp.sockets.delete(id));
      }
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as typeof emit;
  }
}

/** The address of the machine at the other end of the connection; null where no stamp was installed. */
export function peerAddress(headers: { get(name: string): string | null }): string | null {
  if (!stamp.installed) return null;
  return headers.get(PEER_HEADER) || null;
}

/** The request's socket, while its response lasts; null where no stamp was installed. */
export function socketOf(headers: { get(name: string): string | null }): Socket | null {
  if (!stamp.installed) return null;
  const id = headers.get(CONNECTION_HEADER);
  return id ? (stamp.sockets.get(id) ?? null) : null;
}
