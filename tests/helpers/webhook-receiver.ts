import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it came: what a signature is checked against. */
  raw: string;
  json: unknown;
}

export interface Answer {
  status: number;
  body?: string;
}

export interface TestReceiver {
  url(path?: string): string;
  received: ReceivedHook[];
  /** Answers for the next requests, in order; once used up, every request gets `fallback`. */
  answers: Answer[];
  fallback: Answer;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that keeps every request and answers as scripted. */
export async function startReceiver(): Promise<TestReceiver> {
  const received: ReceivedHook[] = [];
  const state: Pick<TestReceiver, "answers" | "fallback"> = { answers: [], fallback: { status: 200, body: "ok" } };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let json: unknown = null;
      try {
        json = JSON.parse(raw);
      } catch {
        // kept raw
      }
      received.push({ path: req.url ?? "", headers: req.headers, raw, json });
      const answer = state.answers.shift() ?? state.fallback;
      res.writeHead(answer.status, { "content-type": "text/plain" });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    received,
    get answers() {
      return state.answers;
    },
    set answers(v) {
      state.answers = v;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(v) {
      state.fallback = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
