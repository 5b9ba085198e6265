import { MANIFEST_FORMAT_VERSION, type Manifest, type ManifestDirectory, type ManifestFile } from "@/lib/backup/archive/manifest";
import { FileSpool } from "@/lib/backup/archive/spool";

/** One item of a JSON array, comma first from the second on, so the spool holds the array's inside. */
function appendItem(spool: FileSpool, item: unknown): Promise<void> {
  return spool.append(`${spool.count ? ",\n" : "\n"}${JSON.stringify(item)}`);
}

export type ManifestHead = Pick<Manifest, "createdAt" | "backupName" | "source" | "database">;

/**
 * Builds manifest.json without holding its long lists: file and directory records go to temporary files
 * (`<base>.files`, `<base>.dirs`, 0600) as entries are archived, and the manifest is streamed from them at
 * the end. A tree of a million files then needs no more memory than one of ten.
 */
export class ManifestWriter {
  readonly symlinks: Manifest["symlinks"] = [];
  readonly warnings: string[] = [];

  private constructor(
    private readonly files: FileSpool,
    private readonly directories: FileSpool,
  ) {}

  static async create(base: string): Promise<ManifestWriter> {
    const files = await FileSpool.create(`${base}.files`);
    try {
      return new ManifestWriter(files, await FileSpool.create(`${base}.dirs`));
    } catch (error) {
      await files.dispose();
      throw error;
    }
  }

  get fileCount(): number {
    return this.files.count;
  }

  addFile(file: ManifestFile): Promise<void> {
    return appendItem(this.files, file);
  }

  addDirectory(directory: ManifestDirectory): Promise<void> {
    return appendItem(this.directories, directory);
  }

  /** The whole manifest as JSON text, in chunks; readers parse it like any JSON document. */
  async *json(head: ManifestHead): AsyncGenerator<Buffer> {
    const start = { formatVersion: MANIFEST_FORMAT_VERSION, app: "safekeep", ...head };
    const opening = JSON.stringify(start);
    yield Buffer.from(`${opening.slice(0, -1)},\n"files": [`);
    yield* this.files.read();
    yield Buffer.from(`\n],\n"directories": [`);
    yield* this.directories.read();
    yield Buffer.from(`\n],\n"symlinks": ${JSON.stringify(this.symlinks)},\n"warnings": ${JSON.stringify(this.warnings)}\n}\n`);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.files.dispose(), this.directories.dispose()]);
  }
}
