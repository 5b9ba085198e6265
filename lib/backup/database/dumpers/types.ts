import type { Readable } from "node:stream";

/** "sqlite", "mysql", "postgres": the kinds the registry lists, as written into manifests. */
export type { DatabaseKind } from "@/lib/backup/database/registry";
import type { DatabaseKind } from "@/lib/backup/database/registry";

export interface DatabaseDump {
  /** Where the dump goes inside the archive, under `database/`. */
  entry: string;
  stream: Readable;
  /** Settles when the dumping program or copy has finished and reports its success or failure. */
  finished: Promise<void>;
  cleanup(): Promise<void>;
}

/** One per database kind; the backup engine only ever talks to this. */
export interface DatabaseDumper {
  kind: DatabaseKind;
  /** The database's name for people and manifests: never a password. */
  name: string;
  /** A size guess for the progress bar. */
  estimateBytes(): Promise<number>;
  /** `workFile` is a private temporary path the dumper may write to; `cleanup()` removes it. */
  dump(workFile: string): Promise<DatabaseDump>;
}
