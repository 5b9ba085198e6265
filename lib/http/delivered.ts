import fs from "node:fs/promises";
import type { Socket } from "node:net";

/**
 * Bytes written but not yet acknowledged by the peer (`tx_queue` in /proc/net/tcp, Linux), for this
 * socket; null where that cannot be read.
 */
async function unacknowledgedBytes(socket: Socket): Promise<number | null> {
  const local = socket.localPort;
  const remote = socket.remotePort;
  if (!local || !remote) return null;
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await fs.readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5 || !fields[1]!.endsWith(`:${hex(local)}`) || !fields[2]!.endsWith(`:${hex(remote)}`)) continue;
      return parseInt(fields[4]!.split(":")[0]!, 16);
    }
  }
  return null;
}

const POLL_MS = 100;
const GRACE_WITHOUT_PROC_MS = 2_000;

/**
 * After a response has finished (every byte handed to the operating system), waits until the client has
 * acknowledged them all. False when the connection breaks first: a client that read part of the response
 * and went away resets it. A clean close by the client counts as delivered (a client closing with unread
 * data resets instead). Where unacknowledged bytes cannot be read, a connection that stays sound for a
 * moment counts as delivered. Gives up (false) after `maxWaitMs`.
 */
export function deliveredToPeer(socket: Socket, maxWaitMs = 30 * 60 * 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let broken = socket.errored !== null && socket.errored !== undefined;
    const started = Date.now();
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve(value);
    };
    const onError = () => {
      broken = true;
      finish(false);
    };
    const onClose = (hadError: boolean) => finish(!hadError && !broken);
    socket.on("error", onError);
    socket.once("close", onClose);
    if (broken) return finish(false);
    if (socket.destroyed) return finish(!broken);
    const look = async () => {
      if (settled) return;
      const unacked = await unacknowledgedBytes(socket);
      if (settled) return;
      if (unacked === 0) return finish(true);
      if (unacked === null && Date.now() - started >= GRACE_WITHOUT_PROC_MS) return finish(true);
      if (Date.now() - started >= maxWaitMs) return finish(false);
      setTimeout(look, POLL_MS).unref();
    };
    void look();
  });
}
