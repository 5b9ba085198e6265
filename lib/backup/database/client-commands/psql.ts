import { shorten, type DumpFinding } from "@/lib/backup/database/client-commands/finding";

/** pg_dump 15.14+/16.10+/17.6+ brackets its output with these; the loader replaces them with its own key. */
const RESTRICT_LINE = /^\\(?:un)?restrict\s+[A-Za-z0-9]+\s*$/;
const END_OF_COPY = /^\\\.\r?$/;
const IDENT_START = /[A-Za-z_\x80-\xff]/;
const IDENT_CONT = /[A-Za-z0-9_$\x80-\xff]/;
/** The only way pg_dump sets these; any other could change how psql splits what follows. */
const QUOTING_SETTING = /standard_conforming_strings|client_encoding/i;
const PG_DUMP_SETTING = /^SET (?:standard_conforming_strings = on|client_encoding = 'UTF8');$/;
/** `COPY table [(columns)] FROM stdin`: the statement after which psql reads data lines, not SQL. */
const COPY_FROM_STDIN = /^COPY\s+(?:[A-Za-z_\x80-\xff][\w$\x80-\xff]*|"")(?:\s*\.\s*(?:[A-Za-z_\x80-\xff][\w$\x80-\xff]*|""))*\s*(?:\([^()]*\)\s*)?FROM\s+STDIN\b/i;

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

  private scan(text: string): void {
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (this.commentDepth > 0) {
        if (text.startsWith("*/", i)) {
          this.commentDepth--;
          i += 2;
        } else if (text.startsWith("/*", i)) {
          this.commentDepth++;
          i += 2;
        } else i++;
        continue;
      }
      if (this.quote === "$") {
        const close = text.indexOf(this.dollarTag, i);
        if (close < 0) return;
        this.quote = "";
        i = close + this.dollarTag.length;
        continue;
      }
      if (this.quote === "'" || this.quote === '"') {
        if (ch === this.quote) this.quote = "";
        i++;
        continue;
      }
      if (this.quote === "e'") {
        if (ch === "\\") i += 2;
        else {
          if (ch === "'") this.quote = "";
          i++;
        }
        continue;
      }
      if (ch === "\\") {
        this.report("command", text.slice(i));
        return;
      }
      if (ch === "-" && text[i + 1] === "-") return;
      if (text.startsWith("/*", i)) {
        this.commentDepth = 1;
        this.statement += " ";
        i += 2;
        continue;
      }
      if (ch === ";") {
        this.endStatement();
        i++;
        continue;
      }
      if (ch === "'") {
        // Backslashes are plain characters here (standard_conforming_strings is on); E'' strings are read below.
        this.quote = "'";
        this.statement += "'";
        i++;
        continue;
      }
      if (ch === '"') {
        this.quote = '"';
        this.statement += '""';
        i++;
        continue;
      }
      if (ch === "$") {
        const tag = /^\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$/.exec(text.slice(i, i + 200))?.[0];
        if (tag) {
          this.quote = "$";
          this.dollarTag = tag;
          this.statement += "$$";
          i += tag.length;
          continue;
        }
        this.statement += ch;
        i++;
        continue;
      }
      if (IDENT_START.test(ch) || /[0-9]/.test(ch)) {
        let j = i + 1;
        while (j < text.length && IDENT_CONT.test(text[j]!)) j++;
        const word = text.slice(i, j);
        // pg_dump quotes every identifier with a $ in it, and never runs a number into letters; psql
        // versions differ on where such words end, so the scan cannot be sure what follows.
        if (word.includes("$") || (/^[0-9]/.test(word) && /[A-Za-z_\x80-\xff]/.test(word) && !/^[0-9]+(?:e[0-9]+)?$/i.test(word))) this.report("unsure", word);
        // An E'' string: the quote comes right after the E.
        if (text[j] === "'" && /^[eE]$/.test(word)) {
          this.quote = "e'";
          this.statement += "E'";
          i = j + 1;
          continue;
        }
        this.statement += word;
        i = j;
        continue;
      }
      this.statement += ch;
      i++;
    }
    this.statement += "\n";
  }

  end(): DumpFinding[] {
    return this.findings;
  }
}
