import { shorten, type DumpFinding } from "@/lib/backup/database/client-commands/finding";

/** pg_dump 15.14+/16.10+/17.6+ brackets its output with these; the loader replaces them with its own key. */
const RESTRICT_LINE = /^\\(?:un)?restrict\s+[A-Za-z0-9]+\s*$/;
const END_OF_COPY = /^\\\.\r?$/;
const IDENT_CONT = /[A-Za-z0-9_$\x80-\xff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$/;
/** Where the next thing psql treats specially may start, outside quotes and comments. */
const SPECIALS = /[\\'"$;\/-]/g;
const COMMENT_MARK = /\/\*|\*\//g;
const QUOTE_END: Record<string, RegExp> = { "'": /'/g, '"': /"/g, "e'": /['\\]/g };
/** The start of a statement that is kept: enough for `COPY table (every column) FROM stdin`. */
const HEAD = 64 * 1024;
/** The only way pg_dump sets these; any other could change how psql splits what follows. */
const QUOTING_SETTING = /standard_conforming_strings|client_encoding/i;
const PG_DUMP_SETTING = /^SET (?:standard_conforming_strings = on|client_encoding = 'UTF8');$/;
/** `COPY table [(columns)] FROM stdin`: the statement after which psql reads data lines, not SQL. */
const COPY_FROM_STDIN =
  /^COPY\s+(?:[A-Za-z_\x80-\xff][\w$\x80-\xff]*|"")(?:\s*\.\s*(?:[A-Za-z_\x80-\xff][\w$\x80-\xff]*|""))*\s*(?:\([^()]*\)\s*)?FROM\s+STDIN\b/i;

export type PsqlLine = "sql" | "data" | "restrict";

/**
 * Reads a plain-format PostgreSQL dump the way psql splits it: quoted strings (standard and E''),
 * quoted identifiers, dollar quoting, nested comments, and the data lines after `COPY ... FROM stdin`
 * up to `\.`. Every backslash outside those starts a psql meta-command (`\!`, `\connect`, `\o |cmd`...),
 * which is reported. Lines are fed as latin1 text: every character psql treats specially is ASCII.
 */
export class PsqlDumpScanner {
  readonly findings: DumpFinding[] = [];
  private lineNo = 0;
  private quote: "" | "'" | "e'" | '"' | "$" = "";
  private dollarTag = "";
  private commentDepth = 0;
  private statement = "";
  private copiesPending = 0;
  private inCopy = false;

  private report(severity: DumpFinding["severity"], what: string): void {
    if (this.findings.length < 20) this.findings.push({ severity, line: this.lineNo, what: shorten(what) });
  }

  private endStatement(): void {
    if (COPY_FROM_STDIN.test(this.statement.trim())) this.copiesPending++;
    this.statement = "";
  }

  /** Reads one line (without its newline) and says what it is: SQL, COPY data, or pg_dump's own \restrict bracket. */
  line(text: string): PsqlLine {
    this.lineNo++;
    if (this.inCopy) {
      if (END_OF_COPY.test(text)) {
        this.copiesPending--;
        this.inCopy = this.copiesPending > 0;
      }
      return "data";
    }
    const atStatementStart = !this.quote && this.commentDepth === 0 && this.statement.trim() === "";
    if (atStatementStart && RESTRICT_LINE.test(text)) return "restrict";
    if (QUOTING_SETTING.test(text) && !PG_DUMP_SETTING.test(text.trim())) this.report("unsure", text);
    this.scan(text);
    if (this.copiesPending > 0) this.inCopy = true;
    return "sql";
  }

  /** Keeps the start of the statement, enough to recognise a COPY with its column list. */
  private keep(text: string): void {
    if (this.statement.length < HEAD) this.statement += text.slice(0, HEAD - this.statement.length);
  }

  private scan(text: string): void {
    let i = 0;
    while (i < text.length) {
      if (this.commentDepth > 0) {
        COMMENT_MARK.lastIndex = i;
        const found = COMMENT_MARK.exec(text);
        if (!found) return;
        this.commentDepth += found[0] === "/*" ? 1 : -1;
        i = found.index + 2;
        continue;
      }
      if (this.quote === "$") {
        const close = text.indexOf(this.dollarTag, i);
        if (close < 0) return;
        this.quote = "";
        i = close + this.dollarTag.length;
        continue;
      }
      if (this.quote) {
        const end = QUOTE_END[this.quote]!;
        end.lastIndex = i;
        const found = end.exec(text);
        if (!found) return;
        if (found[0] === "\\") i = found.index + 2;
        else {
          this.quote = "";
          i = found.index + 1;
        }
        continue;
      }
      SPECIALS.lastIndex = i;
      const found = SPECIALS.exec(text);
      if (!found) {
        this.keep(text.slice(i));
        break;
      }
      const at = found.index;
      this.keep(text.slice(i, at));
      const ch = text[at]!;
      const before = at > 0 ? text[at - 1]! : " ";
      i = at + 1;
      if (ch === "\\") {
        this.report("command", text.slice(at));
        return;
      }
      if (ch === "-") {
        if (text[at + 1] === "-") return;
        this.keep(ch);
      } else if (ch === "/") {
        if (text[at + 1] === "*") {
          this.commentDepth = 1;
          this.keep(" ");
          i = at + 2;
        } else this.keep(ch);
      } else if (ch === ";") {
        this.endStatement();
      } else if (ch === "'") {
        // E'' (the E standing alone) takes backslash escapes; other strings do not (standard_conforming_strings is on).
        const escaped = (before === "E" || before === "e") && (at < 2 || !IDENT_CONT.test(text[at - 2]!));
        this.quote = escaped ? "e'" : "'";
        this.keep("'");
      } else if (ch === '"') {
        this.quote = '"';
        this.keep('""');
      } else if (ch === "$") {
        if (IDENT_CONT.test(before) && at > 0) {
          // pg_dump quotes every identifier with a $ in it and never runs a number into one; psql
          // versions differ on where such words end, so the scan cannot be sure what follows.
          this.report("unsure", text.slice(Math.max(0, at - 20), at + 20));
          this.keep(ch);
          continue;
        }
        const tag = DOLLAR_TAG.exec(text.slice(at, at + 200))?.[0];
        if (tag) {
          this.quote = "$";
          this.dollarTag = tag;
          this.keep("$$");
          i = at + tag.length;
        } else this.keep(ch);
      }
    }
    this.keep("\n");
  }

  end(): DumpFinding[] {
    return this.findings;
  }
}
