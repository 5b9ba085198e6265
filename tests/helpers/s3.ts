import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import type { Destination } from "@/lib/offsite/destinations";

export interface TestS3 {
  endpoint: string;
  port: number;
  /** Where s3rver keeps the objects (`DIR/BUCKET/KEY._S3rver_object`). */
  dir: string;
  destination(overrides?: Partial<Destination>): Destination;
  close(): Promise<void>;
}

/**
 * A real S3 protocol server (s3rver) on a free loopback port, checking SigV4 signatures against its one
 * account S3RVER/S3RVER; path-style addressing.
 */
export async function startS3(buckets: string[]): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    dir,
    destination: (overrides = {}) => ({
      id: "test",
      name: "Test bucket",
      endpoint,
      region: "us-east-1",
      bucket: buckets[0]!,
      prefix: "",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      forcePathStyle: true,
      remoteOnly: false,
      keepLast: 30,
      gfs: false,
      sizeCapMb: 0,
      ...overrides,
    }),
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface CuttingProxy {
  port: number;
  /** Bytes passed from the client to the server since the last reset. */
  sentBytes(): number;
  resetCount(): void;
  /** After this many more client bytes, every connection is destroyed and new ones refused, until `heal()`. */
  cutAfter(bytes: number): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of `target` that the test can cut part-way, as a failing network would. */
export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  let sent = 0;
  let budget = Infinity;
  let broken = false;
  const sockets = new Set<net.Socket>();
  const breakAll = () => {
    broken = true;
    for (const s of sockets) s.destroy();
  };
  const server = net.createServer((client) => {
    if (broken) return client.destroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("data", (chunk: Buffer) => {
      if (broken) return drop();
      sent += chunk.length;
      budget -= chunk.length;
      if (budget <= 0) return breakAll();
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on("drain", () => upstream.resume());
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sentBytes: () => sent,
    resetCount: () => {
      sent = 0;
    },
    cutAfter: (bytes) => {
      budget = bytes;
    },
    heal: () => {
      broken = false;
      budget = Infinity;
    },
    async close() {
      breakAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
