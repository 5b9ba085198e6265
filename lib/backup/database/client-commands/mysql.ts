import { shorten, type DumpFinding } from "@/lib/backup/database/client-commands/finding";

/**
 * The mysql client's own commands (not SQL: the client acts on them itself). A statement whose first word
 * is one of these runs that command, and a backslash followed by a character outside strings and
 * comments is the short form. `delimiter` is the one a dump needs (mysqldump uses it around routines).
 */
const LONG_COMMANDS = new Set([
  "?", "charset", "clear", "connect", "edit", "ego", "exit", "go", "help", "nopager", "notee", "nowarning",
  "pager", "print", "prompt", "quit", "rehash", "sandbox", "source", "status", "system", "tee", "use", "warnings",
]);

/** Characters that, under a multi-byte client character set, could hide a quote or backslash from this scan. */
const RISKY_CHARSET = /\b(?:SET\s+(?:NAMES|CHARACTER\s+SET|CHARSET)\s*['"]?|character_set_client\s*:?=\s*['"]?)(?:big5|cp932|gbk|sjis|gb18030|eucjpms|ujis)\b/i;
/** sql_mode values that change how the client reads quotes and backslashes (ANSI_QUOTES, NO_BACKSLASH_ESCAPES, and the modes that include them). */
const QUOTING_MODE = /\b(?:NO_BACKSLASH_ESCAPES|ANSI_QUOTES|ANSI|ORACLE|MSSQL|DB2|POSTGRESQL|MAXDB)\b/i;
/** sql_mode set from something other than a quoted literal or the values mysqldump saves and puts back. */
const COMPUTED_MODE = /(?<![\w@$])(?:@@(?:session\.|local\.|global\.)?)?sql_mode\s*:?=(?!\s*(?:['"]|@OLD_SQL_MODE\b|@saved_sql_mode\b))/i;
const SAVED_MODE_FROM_ELSEWHERE = /@(?:OLD_SQL_MODE|saved_sql_mode)\s*:?=(?!\s*@@SQL_MODE\b)/i;

/**
 * Reads a MySQL/MariaDB dump the way the mysql client splits it (strings, comments, executable
 * comments, the current delimiter) and reports every client command in it. Lines are fed as latin1 text
 * (one character per byte): every character the client treats specially is ASCII, and no byte of a
 * UTF-8 sequence is.
 */
export class MysqlDumpScanner {
  readonly findings: DumpFinding[] = [];
  private lineNo = 0;
  private inString = "";
  private inComment = false;
  private delimiter = ";";
  /** The statement so far, outside comments: its first word decides whether it is a client command. */
  private statement = "";

  private report(severity: DumpFinding["severity"], what: string): void {
    if (this.findings.length < 20) this.findings.push({ severity, line: this.lineNo, what: shorten(what) });
  }

  /** A statement ends (at the delimiter or the end of input): the client checks its first word for a command. */
  private endStatement(): void {
    const first = /^\s*(\S+)/.exec(this.statement)?.[1]?.toLowerCase();
    if (first && LONG_COMMANDS.has(first)) this.report("command", this.statement);
    this.statement = "";
  }

  line(text: string): void {
    this.lineNo++;
    if (/sql_mode/i.test(text) && (QUOTING_MODE.test(text) || COMPUTED_MODE.test(text))) this.report("unsure", text);
    if (SAVED_MODE_FROM_ELSEWHERE.test(text) || RISKY_CHARSET.test(text)) this.report("unsure", text);
    if (!this.inString && !this.inComment && this.statement.trim() === "") {
      const delimiter = /^\s*delimiter\s+(\S+)/i.exec(text);
      if (delimiter) {
        this.delimiter = delimiter[1]!;
        this.statement = "";
        return;
      }
    }
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (this.inComment) {
        if (text.startsWith("*/", i)) {
          this.inComment = false;
          i += 2;
        } else i++;
        continue;
      }
      if (this.inString) {
        if (ch === "\\" && this.inString !== "`") i += 2;
        else {
          if (ch === this.inString) this.inString = "";
          this.statement += ch;
          i++;
        }
        continue;
      }
      if (ch === "\\") {
        const next = text[i + 1];
        // \N is NULL; \- turns the client's sandbox on (mysqldump writes it first): both harmless.
        if (next !== undefined && next !== "N" && next !== "-") this.report("command", text.slice(i));
        this.statement += ch + (next ?? "");
        i += 2;
        continue;
      }
      if (text.startsWith(this.delimiter, i)) {
        this.endStatement();
        i += this.delimiter.length;
        continue;
      }
      if (ch === "#" || (ch === "-" && text[i + 1] === "-" && (i + 2 >= text.length || /[\s\x00-\x1f]/.test(text[i + 2]!)))) break;
      if (text.startsWith("/*", i)) {
        const executable = text[i + 2] === "!" || (text[i + 2] === "M" && text[i + 3] === "!");
        if (!executable) {
          // Optimizer hints are comments to some clients and text to others.
          if (text[i + 2] === "+") this.report("unsure", text.slice(i));
          this.inComment = true;
          i += 2;
          continue;
        }
      }
      if (ch === "'" || ch === '"' || ch === "`") this.inString = ch;
      this.statement += ch;
      i++;
    }
    if (this.statement) this.statement += "\n";
    // Only the first words matter: keep the statement short, whatever its length.
    if (this.statement.length > 200) this.statement = this.statement.slice(0, 200);
  }

  /** The end of the input: what is left runs as a statement. */
  end(): DumpFinding[] {
    if (this.statement.trim()) this.endStatement();
    return this.findings;
  }
}
