import type { DatabaseTools } from "@/lib/backup/config";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";
import type { CheckResult } from "@/lib/backup/jobs/check-result";

/** What a drill's scratch database held once the dump was loaded into it. */
export interface DrillCount {
  tables: number;
  rows: number;
  /** Where it was loaded, for the drill's log. */
  place: string;
}

/**
 * Everything the engine knows about one kind of database, declared in one file under `drivers/` and
 * listed in `registry.ts`. Nothing outside the driver switches on the kind: adding a kind is one file
 * plus one line in the registry.
 */
export interface DatabaseDriver<K extends string, T extends { kind: K }> {
  /** The name written into manifests: never change it, old archives carry it. */
  kind: K;
  /** For people: "MySQL/MariaDB". */
  label: string;
  /** How its URLs begin ("mysql://", "file:"), as the settings page lists them. */
  schemes: readonly string[];
  /** The empty database URL (the portal's own database) is this kind. */
  ownsEmptyUrl?: boolean;
  /** Reads a URL of one of its schemes; throws a sentence saying what is wrong with it. */
  parse(url: string): T;
  /** How it is named to people and in manifests: never with its password. */
  describe(target: T): string;
  /** The portal's own database: restoring it replaces the portal's records too. */
  isPortal(target: T): boolean;
  dumper(target: T, settings: DatabaseTools): DatabaseDumper;
  /**
   * Reads a staged dump before anything is changed (before the safety backup and the load) and throws
   * an ArchiveRejectedError for one that must not be loaded.
   */
  vet(target: T, stagedFile: string, settings: DatabaseTools): Promise<void>;
  /** Replaces the database's contents with the staged dump. */
  load(target: T, stagedFile: string, settings: DatabaseTools, onBytes: (n: number) => void): Promise<void>;
  /** What the settings page's Check button shows for this database: programs, versions, a connection. */
  checks(target: T, settings: DatabaseTools): Promise<CheckResult[]>;
  /**
   * Restore drills: loads a staged dump into a throwaway database named `scratchName` beside the real
   * one (never into the real one), counts what came back, and removes it again.
   */
  drill(target: T, stagedFile: string, settings: DatabaseTools, scratchName: string): Promise<DrillCount>;
}
