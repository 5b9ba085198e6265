import { shorten, type DumpFinding } from "@/lib/backup/database/client-commands/finding";

/**
 * The mysql client's own commands (not SQL: the client acts on them itself). A statement whose first word
 * is one of these runs that command, and a backslash followed by a character outside strings and
 * comments is the short form. `delimiter` is the one a dump needs (mysqldump uses it around routines).
 */
const LONG_COMMANDS = new Set([
  "?",
  "charset",
  "clear",
  "connect",
  "edit",
  "ego",
  "exit",
  "go",
  "help",
  "nopager",
  "notee",
  "nowarning",
  "pager",
  "print",
  "prompt",
  "quit",
  "rehash",
  "sandbox",
  "source",
  "status",
  "system",
  "tee",
  "use",
  "warnings",
]);

/** Characters that, under a multi-byte client character set, could hide a quote or backslash from this scan. */
const RISKY_CHARSET = /\b(?:SET\s+(?:NAMES|CHARACTER\s+SET|CHARSET)\s*['"]?|character_set_client\s*:?=\s*['"]?)(?:big5|cp932|gbk|sjis|gb18030|eucjpms|ujis)\b/i;
/** sql_mode values that change how the client reads quotes and backslashes (ANSI_QUOTES, NO_BACKSLASH_ESCAPES, and the modes that include them). */
const QUOTING_MODE = /\b(?:NO_BACKSLASH_ESCAPES|ANSI_QUOTES|ANSI|ORACLE|MSSQL|DB2|POSTGRESQL|MAXDB)\b/i;
/** sql_mode set from something other than a quoted literal or the values mysqldump saves and puts back. */
const COMPUTED_MODE = /(?<![\w@$])(?:@@(?:session\.|local\.|global\.)?)?sql_mode\s*:?=(?!\s*(?:['"]|@OLD_SQL_MODE\b|@saved_sql_mode\b))/i;
const SAVED_MODE_FROM_ELSEWHERE = /@(?:OLD_SQL_MODE|saved_sql_mode)\s*:?=(?!\s*@@SQL_MODE\b)/i;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Where the next thing the client treats specially may start, for a given delimiter. */
const specialsFor = (delimiter: string) => new RegExp(`[\\\\'"\`#/-]|${escapeRegExp(delimiter)}`, "g");
const STRING_END: Record<string, RegExp> = { "'": /['\\]/g, '"': /["\\]/g, "`": /[`\\]/g };
/** Only a statement's first word decides whether it is a client command: this much of it is kept. */
const HEAD = 200;

/**
 * Reads a MySQL/MariaDB dump the way the mysql client splits it (strings, comments, executable
 * comments, the current delimiter) and reports every client command in it. Lines are fed as latin1 text
 * (one character per byte): every character the client treats specially is ASCII, and no byte of a
 * UTF-8 sequence is. It jumps from one special character to the next: dumps are large.
 */
export class MysqlDumpScanner {
  readonly findings: DumpFinding[] = [];
  private lineNo = 0;
  private inString = "";
  private inComment = false;
  private delimiter = ";";
  private specials = specialsFor(";");
  /** The start of the statement so far, outside comments. */
  private head = "";

  private report(severity: DumpFinding["severity"], what: string): void {
    if (this.findings.length < 20) this.findings.push({ severity, line: this.lineNo, what: shorten(what) });
  }

  private keep(text: string): void {
    if (this.head.length < HEAD) this.head += text.slice(0, HEAD - this.head.length);
  }

  /** A statement ends (at the delimiter or the end of input): the client checks its first word for a command. */
  private endStatement(): void {
    const first = /^\s*(\S+)/.exec(this.head)?.[1]?.toLowerCase();
    if (first && LONG_COMMANDS.has(first)) this.report("command", this.head);
    this.head = "";
  }

  line(text: string): void {
    this.lineNo++;
    if (/sql_mode/i.test(text) && (QUOTING_MODE.test(text) || COMPUTED_MODE.test(text))) this.report("unsure", text);
    if (SAVED_MODE_FROM_ELSEWHERE.test(text) || RISKY_CHARSET.test(text)) this.report("unsure", text);
    if (!this.inString && !this.inComment && this.head.trim() === "") {
      const delimiter = /^\s*delimiter\s+(\S+)/i.exec(text);
      if (delimiter) {
        this.delimiter = delimiter[1]!;
        this.specials = specialsFor(this.delimiter);
        this.head = "";
        return;
      }
    }
    let i = 0;
    while (i < text.length) {
      if (this.inComment) {
        const close = text.indexOf("*/", i);
        if (close < 0) return;
        this.inComment = false;
        i = close + 2;
        continue;
      }
      if (this.inString) {
        const end = STRING_END[this.inString]!;
        end.lastIndex = i;
        const found = end.exec(text);
        if (!found) {
          this.keep(text.slice(i));
          break;
        }
        this.keep(text.slice(i, found.index + 1));
        if (found[0] === "\\" && this.inString === "`") {
          // A backslash in a backtick name is a plain character to current clients and escaped the next
          // character in older ones: the two disagree about where the name ends.
          this.report("unsure", text.slice(Math.max(0, found.index - 20), found.index + 20));
          i = found.index + 1;
        } else if (found[0] === "\\") i = found.index + 2;
        else {
          this.inString = "";
          i = found.index + 1;
        }
        continue;
      }
      this.specials.lastIndex = i;
      const found = this.specials.exec(text);
      if (!found) {
        this.keep(text.slice(i));
        break;
      }
      const at = found.index;
      this.keep(text.slice(i, at));
      const ch = text[at]!;
      if (text.startsWith(this.delimiter, at)) {
        this.endStatement();
        i = at + this.delimiter.length;
        continue;
      }
      if (ch === "\\") {
        const next = text[at + 1];
        // \N is NULL; \- turns the client's sandbox on (mysqldump writes it first): both harmless.
        if (next !== undefined && next !== "N" && next !== "-") this.report("command", text.slice(at));
        this.keep(text.slice(at, at + 2));
        i = at + 2;
        continue;
      }
      if (ch === "#" || (ch === "-" && text[at + 1] === "-" && (at + 2 >= text.length || /[\s\x00-\x1f]/.test(text[at + 2]!)))) break;
      if (ch === "/" && text[at + 1] === "*") {
        const executable = text[at + 2] === "!" || (text[at + 2] === "M" && text[at + 3] === "!");
        if (!executable) {
          // Optimizer hints are comments to some clients and text to others.
          if (text[at + 2] === "+") this.report("unsure", text.slice(at));
          this.inComment = true;
          i = at + 2;
          continue;
        }
      }
      if (ch === "'" || ch === '"' || ch === "`") this.inString = ch;
      this.keep(ch);
      i = at + 1;
    }
    if (this.head) this.keep("\n");
  }

  /** The end of the input: what is left runs as a statement. */
  end(): DumpFinding[] {
    if (this.head.trim()) this.endStatement();
    return this.findings;
  }
}
