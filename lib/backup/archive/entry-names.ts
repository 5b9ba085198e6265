/**
 * A Linux file name is any byte sequence without `/` and NUL; a zip entry name is read as UTF-8 (or worse,
 * CP437) by every tool, and a backslash in it is taken for a separator by some. So a name goes into the
 * archive as it is when it is plain (valid UTF-8, no backslash, no control character), and under an
 * escaped name otherwise, its real bytes then kept in the manifest (base64). The manifest is the truth
 * the restore follows; the zip name only has to be unique, safe and readable.
 */

const fatal = new TextDecoder("utf-8", { fatal: true });

/** Valid UTF-8, as bytes: a name that survives Buffer → string → Buffer unchanged. */
export function isUtf8(bytes: Buffer): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Control characters and the backslash are legal in a Linux name but not what a zip reader expects.
const UNPLAIN = /[\u0000-\u001f\u007f\\]/;

/** The name itself when it can stand in a zip entry name, otherwise null. */
export function plainSegment(raw: Buffer): string | null {
  if (!isUtf8(raw)) return null;
  const text = raw.toString("utf8");
  return UNPLAIN.test(text) ? null : text;
}

/** Printable ASCII stays, every other byte (and `%`, `\`) becomes `%XX`: `caf\xe9.txt` → `caf%E9.txt`. */
export function escapeSegment(raw: Buffer): string {
  let out = "";
  for (const byte of raw) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x5c ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The archive names of one folder's entries, in the same order: plain names as they are, the others
 * escaped and, should that meet a sibling's name, numbered (`~2`, `~3` …) so no two entries share one.
 */
export function archiveSegments(names: Buffer[]): string[] {
  const plain = names.map(plainSegment);
  const taken = new Set(plain.filter((s): s is string => s !== null));
  return names.map((raw, i) => {
    const own = plain[i];
    if (own !== null && own !== undefined) return own;
    const base = escapeSegment(raw);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}~${n}`;
    taken.add(name);
    return name;
  });
}

/** A relative path as bytes, checked: segments neither empty nor `.`/`..`, no NUL, not absolute. */
export function isSafeRawPath(raw: Buffer): boolean {
  return isSafeRawKey(raw.toString("latin1"));
}

/** isSafeRawPath for a path's bytes as latin1 text (one character a byte). */
export function isSafeRawKey(text: string): boolean {
  if (text.length === 0 || text.includes("\0")) return false;
  return text.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}
