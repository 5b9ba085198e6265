import { Digests, plainFileRecord } from "@/lib/backup/archive/file-records";
import { manifestSchema, recordSchemas, type Manifest, type ManifestDirectory, type ManifestFile, type ManifestSymlink } from "@/lib/backup/archive/manifest";

type ListName = "files" | "directories" | "symlinks";
const LISTS = new Set<string>(["files", "directories", "symlinks"]);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

class InvalidManifest extends Error {}

/** A manifest refused for its size before it is read to its end, with the sentence that says why. */
export class ManifestRefusedError extends Error {}

/**
 * No record of ours comes near this: a zip name is at most 64 KiB, its real bytes in base64 a third more,
 * a link's target 4 KiB. A record is held whole while it is read, so a longer one is refused, not read.
 */
const RECORD_MAX = 1024 * 1024;
/** Everything but the three lists (the roots, the database, the warnings), held whole until the end. */
const SKELETON_MAX = 64 * 1024 * 1024;

/**
 * Splits manifest.json as it streams in: the three long lists (files, directories, links: one record per
 * entry) are handed over record by record, each parsed on its own, and everything else is kept as a small
 * "skeleton" document with those lists left empty. So neither the whole text nor the whole parsed tree of
 * a 200,000-entry manifest is ever held at once. Only the splitting is done here; the skeleton and every
 * record still go through JSON.parse, so anything JSON.parse would refuse is refused.
 */
class ManifestSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The list whose records are being read, or null when reading the skeleton. */
  private list: ListName | null = null;
  private record: Buffer[] = [];
  private recordsInList = 0;
  private readonly skeleton: Buffer[] = [];
  private key: Buffer[] | null = null;
  private keyStart = 0;
  private lastKey = "";
  /** After `"files":` (or another list's key) at the top level: a `[` now opens that list. */
  private listNext = false;
  private readonly seen = new Set<string>();
  private recordBytes = 0;
  private skeletonBytes = 0;
  private records = 0;

  /** `maxRecords`: each record names an entry of its own, so a manifest cannot list more than the archive holds. */
  constructor(
    private readonly onRecord: (list: ListName, value: unknown) => void,
    private readonly maxRecords = Infinity,
  ) {}

  private keepInRecord(part: Buffer): void {
    this.recordBytes += part.length;
    if (this.recordBytes > RECORD_MAX) throw new ManifestRefusedError(`it has a record larger than ${RECORD_MAX / 1024 / 1024} MiB`);
    this.record.push(part);
  }

  private keepInSkeleton(part: Buffer): void {
    this.skeletonBytes += part.length;
    if (this.skeletonBytes > SKELETON_MAX)
      throw new ManifestRefusedError(`its fields besides the lists of entries take more than ${SKELETON_MAX / 1024 / 1024} MiB`);
    this.skeleton.push(part);
  }

  feed(chunk: Buffer): void {
    let from = 0;
    this.keyStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.key) {
            this.key.push(chunk.subarray(this.keyStart, i + 1));
            this.lastKey = Buffer.concat(this.key).toString("utf8");
            this.key = null;
          }
        }
        continue;
      }
      if (this.list === null && this.depth === 1 && !isSpace(c)) {
        if (c === OPEN_ARRAY && this.listNext) {
          const name = JSON.parse(this.lastKey) as ListName;
          if (this.seen.has(name)) throw new InvalidManifest(`${name} twice`);
          this.seen.add(name);
          this.keepInSkeleton(chunk.subarray(from, i + 1));
          from = i + 1;
          this.list = name;
          this.recordsInList = 0;
          this.record = [];
          this.recordBytes = 0;
          this.listNext = false;
          this.depth++;
          continue;
        }
        this.listNext = c === COLON && this.isListKey();
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.list === null && this.depth === 1) {
            this.key = [];
            this.keyStart = i;
          }
          break;
        case OPEN_ARRAY:
        case OPEN_OBJECT:
          this.depth++;
          break;
        case CLOSE_ARRAY:
        case CLOSE_OBJECT:
          if (this.list !== null && this.depth === 2) {
            if (c !== CLOSE_ARRAY) throw new InvalidManifest("a list closed with }");
            this.keepInRecord(chunk.subarray(from, i));
            this.endRecord(true);
            this.list = null;
            from = i;
          }
          this.depth--;
          if (this.depth < 0) throw new InvalidManifest("more closing brackets than opening ones");
          break;
        case COMMA:
          if (this.list !== null && this.depth === 2) {
            this.keepInRecord(chunk.subarray(from, i));
            this.endRecord(false);
            from = i + 1;
          }
          break;
      }
    }
    if (this.key) this.key.push(chunk.subarray(this.keyStart));
    if (this.list === null) this.keepInSkeleton(chunk.subarray(from));
    else this.keepInRecord(chunk.subarray(from));
  }

  private isListKey(): boolean {
    try {
      return LISTS.has(JSON.parse(this.lastKey) as string);
    } catch {
      return false;
    }
  }

  private endRecord(last: boolean): void {
    const text = Buffer.concat(this.record).toString("utf8");
    this.record = [];
    this.recordBytes = 0;
    // `[]` has no record; `[,` and `,]` have an empty one, which JSON does not allow.
    if (last && this.recordsInList === 0 && text.trim() === "") return;
    this.recordsInList++;
    if (++this.records > this.maxRecords) throw new ManifestRefusedError(`it lists more entries than the archive's ${this.maxRecords}`);
    this.onRecord(this.list!, JSON.parse(text));
  }

  /** The manifest without its three lists' records. */
  finish(): unknown {
    if (this.inString || this.list !== null || this.depth !== 0) throw new InvalidManifest("the manifest ends early");
    return JSON.parse(Buffer.concat(this.skeleton).toString("utf8"));
  }
}

export type ManifestRecord =
  { list: "files"; record: ManifestFile } | { list: "directories"; record: ManifestDirectory } | { list: "symlinks"; record: ManifestSymlink };

export interface ManifestRecords {
  /** The manifest with its three lists empty: the records went to `onRecord`. */
  head: Manifest;
  /**
   * A version 1 manifest whose records carry fields only version 2 knows: version 1 never wrote them, and
   * holdingReader strips them (as the whole-document schema would), which a reader of single records cannot.
   */
  v2FieldsInV1: boolean;
}

/**
 * Reads manifest.json as its uncompressed chunks are fed in, handing each record of the three lists to
 * `onRecord` as it is read, validated as `manifestSchema` would validate the whole document (either
 * format). With `digests`, plain file records are kept compactly (file-records.ts). `entryCount` is the
 * archive's: a manifest listing more records is refused as soon as it does (ManifestRefusedError), since
 * each names an entry of its own. `feed` throws what `isInvalidManifest` recognises for a manifest that is
 * not valid; `finish` gives null for one.
 */
export class ManifestRecordReader {
  // Which format each record fits: a version 2 manifest may hold no record that fits version 1 only, and
  // the other way round.
  private onlyV1 = false;
  private onlyV2 = false;
  private v2Fields = false;
  private readonly splitter: ManifestSplitter;

  constructor(onRecord: (record: ManifestRecord) => void, entryCount?: number, digests?: Digests) {
    this.splitter = new ManifestSplitter((list, value) => onRecord(this.parse(list, value, digests)), entryCount);
  }

  feed(chunk: Buffer): void {
    this.splitter.feed(chunk);
  }

  finish(): ManifestRecords | null {
    let skeleton: unknown;
    try {
      skeleton = this.splitter.finish();
    } catch (error) {
      if (isInvalidManifest(error)) return null;
      throw error;
    }
    const parsed = manifestSchema.safeParse(skeleton);
    if (!parsed.success) return null;
    const head = parsed.data;
    if (head.formatVersion === 2 ? this.onlyV1 : this.onlyV2) return null;
    return { head, v2FieldsInV1: head.formatVersion === 1 && this.v2Fields };
  }

  private parse(list: ListName, value: unknown, digests: Digests | undefined): ManifestRecord {
    if (list === "files") {
      const plain = plainFileRecord(value, digests);
      const v2 = plain ? null : recordSchemas.v2.files.safeParse(value);
      const v1 = plain || v2?.success ? null : recordSchemas.v1.files.safeParse(value);
      const record = plain ?? (v2?.success ? v2.data : v1?.success ? v1.data : null);
      if (!record) throw new InvalidManifest("a file record");
      if (v1) this.onlyV1 = true;
      const { uid, gid, raw } = record as Partial<ManifestFile>;
      this.v2Fields ||= uid !== undefined || gid !== undefined || raw !== undefined;
      return { list, record };
    }
    if (list === "directories") {
      if (typeof value === "string") {
        this.onlyV1 = true;
        return { list, record: { entry: value } };
      }
      const v2 = recordSchemas.v2.directories.safeParse(value);
      if (!v2.success) throw new InvalidManifest("a directory record");
      this.onlyV2 = true;
      return { list, record: v2.data };
    }
    const v2 = recordSchemas.v2.symlinks.safeParse(value);
    const v1 = v2.success ? null : recordSchemas.v1.symlinks.safeParse(value);
    const record = v2.success ? v2.data : v1?.success ? v1.data : null;
    if (!record) throw new InvalidManifest("a link record");
    if (v1) this.onlyV1 = true;
    const { targetRaw, mtime, uid, gid, raw } = record as ManifestSymlink;
    this.v2Fields ||= [targetRaw, mtime, uid, gid, raw].some((field) => field !== undefined);
    return { list, record };
  }
}

/** Not valid JSON, or not a manifest's shape: as opposed to refused (ManifestRefusedError) or unreadable. */
export function isInvalidManifest(error: unknown): boolean {
  return error instanceof InvalidManifest || error instanceof SyntaxError;
}

/**
 * A reader that keeps every record (file records compactly), and the whole manifest from what it read.
 * `intern` may give back an equal string already held (the zip entry's own name), so each name is kept
 * once for the whole restore. `entryCount` as for ManifestRecordReader; room is made for that many files.
 */
export function holdingReader(intern: (name: string) => string = (name) => name, entryCount?: number) {
  const files: ManifestFile[] = [];
  const directories: ManifestDirectory[] = [];
  const symlinks: ManifestSymlink[] = [];
  const reader = new ManifestRecordReader(
    (item) => {
      item.record.entry = intern(item.record.entry);
      if (item.list === "files") files.push(item.record);
      else if (item.list === "directories") directories.push(item.record);
      else symlinks.push(item.record);
    },
    entryCount,
    new Digests(entryCount),
  );
  const manifest = ({ head }: ManifestRecords): Manifest => {
    if (head.formatVersion === 2) return { ...head, files, directories, symlinks };
    // Version 1 records carry only what version 1 knew (as the whole-document schema strips the rest).
    return {
      ...head,
      files: files.map(({ entry, size, sha256, mode, mtime }) => ({ entry, size, sha256, mode, mtime })),
      directories,
      symlinks: symlinks.map(({ entry, target }) => ({ entry, target })),
    };
  };
  return { reader, manifest };
}

/** The whole manifest from its uncompressed chunks, as holdingReader keeps it; null when it is not valid. */
export async function readManifest(chunks: AsyncIterable<Buffer>, intern?: (name: string) => string, entryCount?: number): Promise<Manifest | null> {
  const { reader, manifest } = holdingReader(intern, entryCount);
  try {
    for await (const chunk of chunks) reader.feed(chunk);
  } catch (error) {
    if (isInvalidManifest(error)) return null;
    throw error;
  }
  const read = reader.finish();
  return read && manifest(read);
}
