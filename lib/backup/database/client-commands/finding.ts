/**
 * What a scan of a dump found that the client program, not the server, would act on.
 * `command`: a client command (`\!`, `system`, `\connect` ...): never loaded, whatever the client.
 * `unsure`: something that could make the client read the rest differently from the scan (a change of
 * how strings are quoted): harmless under a client that refuses commands itself (mysql --sandbox,
 * psql \restrict), refused under an older one, since the scan alone must then be right.
 */
export interface DumpFinding {
  severity: "command" | "unsure";
  line: number;
  /** The command or construct, as written (shortened). */
  what: string;
}

export function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
