import fs from "node:fs";
import type { DumpFinding } from "@/lib/backup/database/client-commands/finding";
import { ArchiveRejectedError } from "@/lib/backup/restore/inspect";

/** Splits a stream of chunks into lines (without their newline), as the original bytes. */
export async function* linesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      yield data.subarray(start, nl);
      start = nl + 1;
    }
    carry = Buffer.from(data.subarray(start));
    data = Buffer.alloc(0);
  }
  if (carry.length) yield carry;
}

/** Reads a staged dump line by line through a scanner and returns what it found. */
export async function scanDumpFile(file: string, scanner: { line(text: string): unknown; end(): DumpFinding[] }): Promise<DumpFinding[]> {
  for await (const line of linesOf(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }))) {
    scanner.line(line.toString("latin1"));
  }
  return scanner.end();
}

/**
 * Refuses a dump with a client command in it, whatever the client; and, when the client cannot refuse
 * commands itself, a dump the scan cannot read with certainty. Says why, and that nothing was loaded.
 */
export function refuseUnsafeDump(findings: DumpFinding[], client: { name: string; guarded: boolean; upgrade: string }): void {
  const command = findings.find((f) => f.severity === "command");
  if (command) {
    throw new ArchiveRejectedError(
      `The database dump in this backup contains a ${client.name} client command on line ${command.line} (${command.what}); a restore never runs client commands, so it was refused and nothing was loaded`,
    );
  }
  const unsure = findings.find((f) => f.severity === "unsure");
  if (unsure && !client.guarded) {
    throw new ArchiveRejectedError(
      `The database dump in this backup changes how the ${client.name} client reads it (line ${unsure.line}: ${unsure.what}), and this ${client.name} client is too old to refuse client commands itself, so it was refused and nothing was loaded: ${client.upgrade}`,
    );
  }
}
