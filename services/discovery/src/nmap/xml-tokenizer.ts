/**
 * A streaming XML 1.0 tokenizer written for nmap `-oX` output, and strict about well-formedness.
 *
 * Why not a general SAX parser: saxes reads one code point at a time through a method call and
 * builds an attribute object per tag; on nmap output that was about 80% of the parse time. This
 * tokenizer scans with tight `charCodeAt` loops over a per-chunk buffer, skips the text between
 * tags without copying it unless the consumer asked for it, and decodes an attribute value only
 * when the consumer reads that attribute.
 *
 * What it enforces (any violation throws XmlSyntaxError with line and column, and nothing after
 * the offending character is reported): one root element; matching start and end tags; names
 * made of XML name characters; attribute values quoted, without a raw `<`, each attribute once
 * per tag and separated by whitespace; only the five predefined entities and character
 * references to XML characters (nothing is ever expanded from a DTD); no control characters,
 * lone surrogates, U+FFFE or U+FFFF; no `]]>` in text; comments without `--`; an XML
 * declaration only at the very start, with a version, optional encoding and standalone; no text
 * outside the root element. Line ends are normalized (CRLF and CR to LF, and in attribute values
 * tab and line ends to a space, as XML specifies); in a document declared `version="1.1"`, NEL
 * and LS are line ends too and C1 controls are refused.
 *
 * What it does not do: a DOCTYPE is reported to the handler up to its name; an internal subset
 * or an external id is never read (the handler refuses it, or the tokenizer does). CDATA
 * sections are checked and skipped (nmap writes none). Namespaces are not processed.
 *
 * Input that simply stops (no more chunks, no `close()`) is not an error: whatever was complete
 * has been reported. `close()` declares the end of the document and checks that nothing is left
 * open.
 */

export interface XmlAttributes {
  /** The value of the attribute, decoded, or undefined when the tag does not have it. */
  get(name: string): string | undefined;
}

export interface XmlHandler {
  /**
   * A DOCTYPE: `body` is what follows `<!DOCTYPE` up to its end (`complete`), or up to and
   * including the `[` or quote that opens an internal subset or external id (not complete: the
   * tokenizer refuses the document if the handler returns).
   */
  doctype(body: string, complete: boolean): void;
  /** A start tag (also for a self-closing tag, which is followed by `close`). */
  open(name: string, attributes: XmlAttributes): void;
  close(name: string): void;
  /** Character data of an element is decoded and passed to `text` only while this is true. */
  readonly wantsText: boolean;
  text(text: string): void;
  comment(text: string): void;
  /** Once true (checked after each end tag), the tokenizer reads nothing more. */
  readonly halted: boolean;
}

export class XmlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${reason}`);
  }
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const BANG = 33;
const DQUOTE = 34;
const AMP = 38;
const SQUOTE = 39;
const MINUS = 45;
const SLASH = 47;
const LT = 60;
const EQUAL = 61;
const GT = 62;
const QUESTION = 63;
const RBRACKET = 93;
const NEL = 0x85;
const LS = 0x2028;

/** ASCII name characters: 1 = may continue a name, 2 = may start one. */
const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME[c] = 3;
  else if (/[0-9.-]/.test(ch)) NAME[c] = 1;
}
// XML 1.0 fifth edition, productions [4] and [4a], beyond ASCII.
const NAME_START_NON_ASCII = /^[\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]$/u;
const NAME_CHAR_NON_ASCII = /^[\u00B7\u0300-\u036F\u203F-\u2040]$/u;

/** ASCII characters that end the fast path of a text scan: `<`, `&`, `]`, CR, LF and controls. */
const TEXT_STOP = new Uint8Array(128);
/** ASCII characters that end the fast path of an attribute value scan: quotes, `<`, `&`, whitespace other than space, controls. */
const ATTR_STOP = new Uint8Array(128);
for (let c = 0; c < 32; c++) TEXT_STOP[c] = ATTR_STOP[c] = 1;
TEXT_STOP[TAB] = 0;
for (const c of [LT, AMP, RBRACKET, 0x7f]) TEXT_STOP[c] = 1;
for (const c of [LT, AMP, DQUOTE, SQUOTE, 0x7f]) ATTR_STOP[c] = 1;

const PREDEFINED: Record<string, string> = { __proto__: null as never, amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME_RE = /^[:A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}][:A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}.0-9\u00B7\u0300-\u036F\u203F-\u2040-]*$/u;
/** Characters XML 1.0 does not allow anywhere, literally or by reference. */
const DISALLOWED_10 = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** XML 1.1 also refuses C1 controls other than NEL when written literally. */
const DISALLOWED_11 = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const XML_DECL =
  /^[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])(1\.[0-9]+)\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*$/;

/** A token left incomplete at the end of the buffer is re-scanned only once this much more text arrived (or the buffer doubled). */
const RESCAN_MIN = 64 * 1024;
/** Returned by a scan that ran out of buffer before its token ended. */
const MORE = -1;

export class XmlTokenizer implements XmlAttributes {
  private s = '';
  /** Start of the first unconsumed token in `s`. */
  private i = 0;
  /** Absolute offset of `s[0]` in the document. */
  private base = 0;
  /** Line of the current scan position and absolute offset where that line starts. */
  private line = 1;
  private lineStart = 0;
  /** Chunks held back while one long token is incomplete (see RESCAN_MIN). */
  private held: string[] = [];
  private heldLength = 0;
  private started = false;
  private docStart = 0;
  private xml11 = false;
  private sawDoctype = false;
  private sawRoot = false;
  private closedRoot = false;
  private halted = false;
  private readonly stack: string[] = [];

  // Attributes of the start tag being reported: names and [start, end) of raw values in `s`.
  private attrCount = 0;
  private readonly attrNames: string[] = [];
  private readonly attrBounds: number[] = [];
  private readonly attrRaw: boolean[] = [];

  constructor(private readonly handler: XmlHandler) {}

  get depth(): number {
    return this.stack.length;
  }

  /** Line and column of the end of the token being reported (for errors raised by the handler). */
  location(): { line: number; column: number } {
    return { line: this.line, column: this.column(this.base + this.tokenEnd) };
  }

  private tokenEnd = 0;

  /** Feeds the next piece of the document; reports every token it completes. */
  write(chunk: string): void {
    if (this.halted || chunk.length === 0) return;
    const pending = this.s.length - this.i;
    if (pending >= RESCAN_MIN && this.heldLength + chunk.length < pending) {
      this.held.push(chunk);
      this.heldLength += chunk.length;
      return;
    }
    this.append(chunk);
    this.run();
  }

  /** Declares the end of the document: everything must be closed and nothing but whitespace may follow. */
  close(): void {
    if (this.halted) return;
    this.append('');
    this.run();
    if (!this.sawRoot) this.fail('document must contain a root element.', this.s.length);
    if (this.stack.length > 0) this.fail(`unclosed tag: ${this.stack.at(-1)}`, this.s.length);
    if (this.i < this.s.length) {
      // Only an incomplete token can be left: text outside the root has been checked already.
      if (this.s.charCodeAt(this.i) === LT) this.fail('unexpected end.', this.s.length);
      this.scanText(this.i, true);
    }
  }

  /** The input ended without `close()` (a truncated document): check what was left incomplete for characters XML refuses. */
  checkRemainder(): void {
    if (this.halted) return;
    this.append('');
    this.run();
    const rest = this.s.slice(this.i);
    const bad = (this.xml11 ? DISALLOWED_11 : DISALLOWED_10).exec(rest);
    if (bad) this.fail('disallowed character.', this.i + bad.index);
  }

  get(name: string): string | undefined {
    for (let k = 0; k < this.attrCount; k++) {
      if (this.attrNames[k] === name) return this.attrValue(k);
    }
    return undefined;
  }

  // --- buffer ---------------------------------------------------------------------------------

  private append(chunk: string): void {
    let rest = this.i < this.s.length ? this.s.slice(this.i) : '';
    if (this.heldLength > 0) {
      rest += this.held.join('');
      this.held = [];
      this.heldLength = 0;
    }
    this.base += this.i;
    // join, not +: a concatenation is a rope, slower to index than the flat string join builds.
    this.s = rest.length === 0 ? chunk : [rest, chunk].join('');
    this.i = 0;
    if (!this.started && this.s.length > 0) {
      this.started = true;
      if (this.s.charCodeAt(0) === 0xfeff) {
        this.i = 1;
        this.docStart = 1;
      }
    }
  }

  private run(): void {
    const s = this.s;
    const end = s.length;
    let i = this.i;
    while (i < end && !this.halted) {
      const line = this.line;
      const lineStart = this.lineStart;
      const next = s.charCodeAt(i) === LT ? this.markup(i) : this.scanText(i, false);
      if (next === MORE) {
        this.line = line;
        this.lineStart = lineStart;
        break;
      }
      i = next;
      this.i = i;
    }
  }

  // --- errors and positions -------------------------------------------------------------------

  private column(absolute: number): number {
    return absolute - this.lineStart + 1;
  }

  private fail(reason: string, at: number): never {
    const c = this.s.charCodeAt(at);
    // A line end that is itself the offending character has been read: the position is past it.
    if (c === LF || c === CR) throw new XmlSyntaxError(reason, this.line + 1, 0);
    throw new XmlSyntaxError(reason, this.line, this.column(this.base + at));
  }

  private newlineAt(j: number): void {
    this.line += 1;
    this.lineStart = this.base + j + 1;
  }

  /** Counts the line ends in s[from, to) (for spans skipped without a character loop). */
  private countLines(from: number, to: number): void {
    const s = this.s;
    for (let j = from; j < to; j++) {
      const c = s.charCodeAt(j);
      if (c === LF || (c === CR && s.charCodeAt(j + 1) !== LF) || (this.xml11 && (c === NEL || c === LS) && s.charCodeAt(j - 1) !== CR)) {
        this.newlineAt(j);
      }
    }
  }

  private checkChars(from: number, to: number): void {
    const bad = (this.xml11 ? DISALLOWED_11 : DISALLOWED_10).exec(this.s.slice(from, to));
    if (bad) {
      this.countLines(from, from + bad.index);
      this.fail('disallowed character.', from + bad.index);
    }
  }

  /**
   * A character at or above U+0080 inside text or an attribute value: returns how many UTF-16
   * units it takes (2 for a surrogate pair), 0 when it is a line end (XML 1.1 NEL or LS);
   * throws when XML does not allow it.
   */
  private nonAscii(c: number, j: number): number {
    if (c < 0xd800) {
      if (this.xml11 && c < 0xa0) {
        if (c === NEL) return 0;
        this.fail('disallowed character.', j);
      }
      if (c === LS && this.xml11) return 0;
      return 1;
    }
    if (c <= 0xdbff) {
      const d = this.s.charCodeAt(j + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return 2;
      if (Number.isNaN(d)) return MORE; // the low surrogate is in the next chunk
      this.fail('disallowed character.', j);
    }
    if (c <= 0xdfff || c >= 0xfffe) this.fail('disallowed character.', j);
    return 1;
  }

  // --- names ----------------------------------------------------------------------------------

  /** End of the name starting at `j` (which the caller checked starts one), or MORE. */
  private scanName(j: number): number {
    const s = this.s;
    const end = s.length;
    for (;;) {
      if (j >= end) return MORE;
      const c = s.charCodeAt(j);
      if (c < 128) {
        if (NAME[c] === 0) return j;
        j += 1;
      } else {
        const n = this.nameCharLength(c, j, false);
        if (n === 0) return j;
        if (n === MORE) return MORE;
        j += n;
      }
    }
  }

  private isNameStart(j: number): boolean {
    const c = this.s.charCodeAt(j);
    if (c < 128) return NAME[c] === 3;
    return this.nameCharLength(c, j, true) > 0;
  }

  /** UTF-16 length of the non-ASCII name (start) character at j, 0 if it is none, MORE if cut. */
  private nameCharLength(c: number, j: number, start: boolean): number {
    let ch = String.fromCharCode(c);
    if (c >= 0xd800 && c <= 0xdbff) {
      if (j + 1 >= this.s.length) return MORE;
      ch = this.s.slice(j, j + 2);
    }
    if (NAME_START_NON_ASCII.test(ch) || (!start && NAME_CHAR_NON_ASCII.test(ch))) return ch.length;
    return 0;
  }

  /** Skips XML whitespace from j; returns the first other position or MORE. */
  private skipSpace(j: number): number {
    const s = this.s;
    const end = s.length;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      if (c === SPACE || c === TAB) continue;
      if (c === LF) this.newlineAt(j);
      else if (c === CR) {
        if (s.charCodeAt(j + 1) !== LF) this.newlineAt(j);
      } else return j;
    }
    return MORE;
  }

  // --- text -----------------------------------------------------------------------------------

  /**
   * Character data from `start` up to the next `<`. Returns the position of that `<`, or MORE
   * (a text node is complete only once the next markup is seen), except at the end of the
   * document (`atEnd`), where the rest is checked as trailing text.
   */
  private scanText(start: number, atEnd: boolean): number {
    const s = this.s;
    const end = s.length;
    const inRoot = this.stack.length > 0;
    let raw = false; // holds a reference or a line end to normalize
    let nonSpace = false;
    let j = start;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      if (c < 128) {
        if (TEXT_STOP[c] === 0) {
          if (c !== SPACE && c !== TAB) nonSpace = true;
          continue;
        }
        if (c === LT) break;
        if (c === LF) {
          this.newlineAt(j);
        } else if (c === CR) {
          raw = true;
          if (s.charCodeAt(j + 1) !== LF) this.newlineAt(j);
        } else if (c === AMP) {
          if (!inRoot) this.fail('text data outside of root node.', j);
          const semi = this.entityEnd(j);
          if (semi === MORE) return atEnd ? this.fail('unexpected end.', end) : MORE;
          j = semi;
          raw = true;
          nonSpace = true;
        } else if (c === RBRACKET) {
          nonSpace = true;
          if (j + 2 >= end && !atEnd) return MORE;
          if (s.charCodeAt(j + 1) === RBRACKET && s.charCodeAt(j + 2) === GT) {
            this.fail('the string "]]>" is disallowed in char data.', j + 2);
          }
        } else if (c === 0x7f) {
          if (this.xml11) this.fail('disallowed character.', j);
          nonSpace = true;
        } else {
          this.fail('disallowed character.', j);
        }
      } else {
        nonSpace = true;
        const n = this.nonAscii(c, j);
        if (n === MORE) return atEnd ? this.fail('disallowed character.', j) : MORE;
        if (n === 0) {
          raw = true;
          if (!(c === NEL && s.charCodeAt(j - 1) === CR)) this.newlineAt(j);
        } else j += n - 1;
      }
    }
    if (!inRoot) {
      if (nonSpace) this.fail('text data outside of root node.', j);
      return j < end ? j : atEnd ? end : MORE;
    }
    if (j >= end) return MORE;
    if (j > start && this.handler.wantsText) {
      this.handler.text(raw ? this.decode(start, j, false) : s.slice(start, j));
    }
    return j;
  }

  /** Position of the `;` closing the reference that starts at `amp` (checked), or MORE. */
  private entityEnd(amp: number): number {
    const semi = this.s.indexOf(';', amp + 1);
    if (semi === -1) return MORE;
    this.resolveEntity(amp, semi);
    return semi;
  }

  private resolveEntity(amp: number, semi: number): string {
    const name = this.s.slice(amp + 1, semi);
    if (name.length === 0) this.entityFail('empty entity name.', amp, semi);
    if (name.charCodeAt(0) !== 0x23 /* # */) {
      const value = PREDEFINED[name];
      if (value !== undefined) return value;
      this.entityFail(NAME_RE.test(name) ? 'undefined entity.' : 'disallowed character in entity name.', amp, semi);
    }
    let code = Number.NaN;
    if (name.charCodeAt(1) === 0x78 /* x */ && /^#x[0-9a-f]+$/i.test(name)) code = parseInt(name.slice(2), 16);
    else if (/^#[0-9]+$/.test(name)) code = parseInt(name.slice(1), 10);
    if (!this.isCharRef(code)) this.entityFail('malformed character entity.', amp, semi);
    return String.fromCodePoint(code);
  }

  /** A malformed reference is reported at its `;`, which may be lines away. */
  private entityFail(reason: string, amp: number, semi: number): never {
    this.countLines(amp, semi);
    return this.fail(reason, semi);
  }

  private isCharRef(c: number): boolean {
    if (this.xml11) return (c >= 1 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    return c === TAB || c === LF || c === CR || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
  }

  /**
   * s[from, to) with references replaced and line ends normalized: to LF in text, to a space in
   * attribute values (where tabs become spaces too). The span was checked by the scan.
   */
  private decode(from: number, to: number, attribute: boolean): string {
    const s = this.s;
    let out = '';
    let run = from;
    for (let j = from; j < to; j++) {
      const c = s.charCodeAt(j);
      let replacement: string | undefined;
      let skip = 0;
      if (c === AMP) {
        const semi = s.indexOf(';', j + 1);
        replacement = this.resolveEntity(j, semi);
        skip = semi - j;
      } else if (c === CR) {
        replacement = attribute ? ' ' : '\n';
        const d = s.charCodeAt(j + 1);
        if (d === LF || (this.xml11 && d === NEL)) skip = 1;
      } else if (attribute && (c === LF || c === TAB)) replacement = ' ';
      else if (this.xml11 && (c === NEL || c === LS)) replacement = attribute ? ' ' : '\n';
      if (replacement !== undefined) {
        out += s.slice(run, j) + replacement;
        j += skip;
        run = j + 1;
      }
    }
    return out + s.slice(run, to);
  }

  /** s[from, to) with line ends normalized to LF and nothing else replaced (comments, DOCTYPE). */
  private lineEndsNormalized(from: number, to: number): string {
    const text = this.s.slice(from, to);
    if (!text.includes('\r') && !(this.xml11 && /[\u0085\u2028]/.test(text))) return text;
    return text.replace(this.xml11 ? /\r[\n\u0085]?|[\u0085\u2028]/g : /\r\n?/g, '\n');
  }

  // --- markup ---------------------------------------------------------------------------------

  private markup(i: number): number {
    const s = this.s;
    if (i + 1 >= s.length) return MORE;
    const c = s.charCodeAt(i + 1);
    if (c === SLASH) return this.endTag(i);
    if (c === BANG) return this.bang(i);
    if (c === QUESTION) return this.processingInstruction(i);
    if (this.isNameStart(i + 1)) return this.startTag(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 2 >= s.length) return MORE;
    return this.fail('disallowed character in tag name', i + 1);
  }

  private startTag(i: number): number {
    const s = this.s;
    let j = this.scanName(i + 1);
    if (j === MORE) return MORE;
    const name = s.slice(i + 1, j);
    this.sawRoot = true;
    if (this.closedRoot) this.fail('documents may contain only one root.', j);
    let count = 0;
    let spaced = true; // whitespace seen since the tag name or the last attribute value
    let selfClosing = false;
    for (let first = true; ; first = false) {
      if (j >= s.length) return MORE;
      const c = s.charCodeAt(j);
      if (c === SPACE) {
        j += 1;
        spaced = true;
        continue;
      }
      if (c === LF || c === TAB || c === CR) {
        j = this.skipSpace(j);
        if (j === MORE) return MORE;
        spaced = true;
        continue;
      }
      if (c === GT) {
        j += 1;
        break;
      }
      if (c === SLASH) {
        if (j + 1 >= s.length) return MORE;
        if (s.charCodeAt(j + 1) !== GT) this.fail('forward-slash in opening tag not followed by >.', j + 1);
        selfClosing = true;
        j += 2;
        break;
      }
      if (c < 128 ? NAME[c] !== 3 : !this.isNameStart(j)) {
        if (c >= 0xd800 && c <= 0xdbff && j + 1 >= s.length) return MORE;
        this.fail(first ? 'disallowed character in tag name.' : 'disallowed character in attribute name.', j);
      }
      if (!spaced) this.fail('no whitespace between attributes.', j);
      // name = "value"
      const nameStart = j;
      j = this.scanName(j);
      if (j === MORE) return MORE;
      const nameEnd = j;
      if (s.charCodeAt(j) !== EQUAL) {
        j = this.skipSpace(j);
        if (j === MORE) return MORE;
        if (s.charCodeAt(j) !== EQUAL) {
          this.fail(s.charCodeAt(j) === GT || j > nameEnd ? 'attribute without value.' : 'disallowed character in attribute name.', j);
        }
      }
      j += 1;
      let q = s.charCodeAt(j);
      if (q !== DQUOTE && q !== SQUOTE) {
        j = this.skipSpace(j);
        if (j === MORE) return MORE;
        q = s.charCodeAt(j);
      }
      if (q !== DQUOTE && q !== SQUOTE) this.fail('unquoted attribute value.', j);
      const valueStart = j + 1;
      let raw = false;
      for (j = valueStart; ; j++) {
        if (j >= s.length) return MORE;
        const v = s.charCodeAt(j);
        if (v < 128) {
          if (ATTR_STOP[v] === 0) continue;
          if (v === q) break;
          if (v === DQUOTE || v === SQUOTE) continue;
          if (v === AMP) {
            const semi = this.entityEnd(j);
            if (semi === MORE) return MORE;
            j = semi;
            raw = true;
          } else if (v === LT) {
            this.fail('disallowed character.', j);
          } else if (v === LF) {
            raw = true;
            this.newlineAt(j);
          } else if (v === TAB) {
            raw = true;
          } else if (v === CR) {
            raw = true;
            if (s.charCodeAt(j + 1) !== LF) this.newlineAt(j);
          } else if (v !== 0x7f || this.xml11) {
            this.fail('disallowed character.', j);
          }
        } else {
          const n = this.nonAscii(v, j);
          if (n === MORE) return MORE;
          if (n === 0) {
            raw = true;
            if (!(v === NEL && s.charCodeAt(j - 1) === CR)) this.newlineAt(j);
          } else j += n - 1;
        }
      }
      const attrName = s.slice(nameStart, nameEnd);
      for (let k = 0; k < count; k++) {
        if (this.attrNames[k] === attrName) this.fail(`duplicate attribute: ${attrName}.`, j);
      }
      this.attrNames[count] = attrName;
      this.attrBounds[2 * count] = valueStart;
      this.attrBounds[2 * count + 1] = j;
      this.attrRaw[count] = raw;
      count += 1;
      j += 1;
      spaced = false;
    }
    this.attrCount = count;
    this.tokenEnd = j;
    this.handler.open(name, this);
    this.attrCount = 0;
    if (selfClosing) {
      this.handler.close(name);
      if (this.stack.length === 0) this.closedRoot = true;
      if (this.handler.halted) this.halted = true;
    } else {
      this.stack.push(name);
    }
    return j;
  }

  private attrValue(k: number): string {
    const from = this.attrBounds[2 * k]!;
    const to = this.attrBounds[2 * k + 1]!;
    return this.attrRaw[k] ? this.decode(from, to, true) : this.s.slice(from, to);
  }

  private endTag(i: number): number {
    const s = this.s;
    const nameStart = i + 2;
    let j = nameStart;
    if (j >= s.length) return MORE;
    // Any name characters (as saxes): a start tag could never have had a name that does not start like one.
    j = this.scanName(j);
    if (j === MORE) return MORE;
    const nameEnd = j;
    j = this.skipSpace(j);
    if (j === MORE) return MORE;
    if (s.charCodeAt(j) !== GT) this.fail('disallowed character in closing tag.', j);
    const length = nameEnd - nameStart;
    if (length === 0) this.fail('weird empty close tag.', j);
    const top = this.stack.length > 0 ? this.stack[this.stack.length - 1]! : undefined;
    if (top === undefined) this.fail(`unmatched closing tag: ${s.slice(nameStart, nameEnd)}.`, j);
    if (top.length !== length || !s.startsWith(top, nameStart)) this.fail('unexpected close tag.', j);
    this.stack.pop();
    if (this.stack.length === 0) this.closedRoot = true;
    this.tokenEnd = j + 1;
    this.handler.close(top);
    if (this.handler.halted) this.halted = true;
    return j + 1;
  }

  /** `<!--`, `<![CDATA[` or `<!DOCTYPE`. */
  private bang(i: number): number {
    const s = this.s;
    if (s.startsWith('<!--', i)) return this.comment(i);
    if (s.startsWith('<![CDATA[', i)) return this.cdata(i);
    if (s.startsWith('<!DOCTYPE', i)) return this.doctype(i);
    if (s.length - (i + 2) < 7) return MORE; // saxes decides after seven characters
    return this.fail('incorrect syntax.', i + 8);
  }

  private comment(i: number): number {
    const s = this.s;
    const dashes = s.indexOf('--', i + 4);
    if (dashes === -1 || dashes + 2 >= s.length) return MORE;
    this.checkChars(i + 4, dashes);
    this.countLines(i + 4, dashes);
    if (s.charCodeAt(dashes + 2) !== GT) this.fail('malformed comment.', dashes + 2);
    this.tokenEnd = dashes + 3;
    this.handler.comment(this.lineEndsNormalized(i + 4, dashes));
    return dashes + 3;
  }

  private cdata(i: number): number {
    if (this.stack.length === 0) this.fail('text data outside of root node.', i + 8);
    const s = this.s;
    const close = s.indexOf(']]>', i + 9);
    if (close === -1) return MORE;
    this.checkChars(i + 9, close);
    this.countLines(i + 9, close);
    // No handler: nmap writes no CDATA, and its content is not modelled.
    return close + 3;
  }

  private doctype(i: number): number {
    if (this.sawDoctype || this.sawRoot) this.fail('inappropriately located doctype declaration.', i + 8);
    const s = this.s;
    let j = i + 9;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === GT || c === 0x5b /* [ */ || c === DQUOTE || c === SQUOTE) break;
    }
    if (j >= s.length) return MORE;
    this.checkChars(i + 9, j);
    this.countLines(i + 9, j);
    this.sawDoctype = true;
    this.tokenEnd = j + 1;
    const complete = s.charCodeAt(j) === GT;
    this.handler.doctype(this.lineEndsNormalized(i + 9, complete ? j : j + 1), complete);
    if (!complete) this.fail('DOCTYPE with an internal subset or an external id is not supported.', j);
    return j + 1;
  }

  private processingInstruction(i: number): number {
    const s = this.s;
    const targetStart = i + 2;
    if (targetStart >= s.length) return MORE;
    if (!this.isNameStart(targetStart)) {
      const c = s.charCodeAt(targetStart);
      if (c >= 0xd800 && c <= 0xdbff && targetStart + 1 >= s.length) return MORE;
      const noTarget = c === QUESTION || c === SPACE || c === TAB || c === LF || c === CR;
      this.fail(noTarget ? 'processing instruction without a target.' : 'disallowed character in processing instruction name.', targetStart);
    }
    const targetEnd = this.scanName(targetStart);
    if (targetEnd === MORE) return MORE;
    const c = s.charCodeAt(targetEnd);
    if (!(c === QUESTION || c === SPACE || c === TAB || c === LF || c === CR)) {
      this.fail('disallowed character in processing instruction name.', targetEnd);
    }
    const target = s.slice(targetStart, targetEnd);
    if (target === 'xml') return this.xmlDeclaration(i, targetEnd);
    const close = s.indexOf('?>', targetEnd);
    if (close === -1) return MORE;
    this.checkChars(targetEnd, close);
    this.countLines(targetEnd, close);
    if (target.toLowerCase() === 'xml') this.fail('the XML declaration must appear at the start of the document.', close + 1);
    return close + 2;
  }

  private xmlDeclaration(i: number, bodyStart: number): number {
    if (this.base + i !== this.docStart) this.fail('an XML declaration must be at the start of the document.', bodyStart);
    const s = this.s;
    const question = s.indexOf('?', bodyStart);
    if (question === -1 || question + 1 >= s.length) return MORE;
    this.checkChars(bodyStart, question);
    this.countLines(bodyStart, question);
    if (s.charCodeAt(question + 1) !== GT) this.fail('The character ? is disallowed anywhere in XML declarations.', question + 1);
    const declaration = XML_DECL.exec(s.slice(bodyStart, question));
    if (!declaration) this.fail('malformed XML declaration.', question + 1);
    if (declaration[2] !== '1.0') this.xml11 = true;
    return question + 2;
  }
}
