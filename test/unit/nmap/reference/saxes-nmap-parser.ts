// The saxes-based nmap parser the tokenizer replaced, kept as the differential test's reference. It
// shares with the product what the tokenizer did not change: the error type, the options and the
// prolog guard; the saxes wiring and the nmap model below are as they were.
/**
 * Streaming, secure reader of nmap `-oX` (and masscan `-oX`) output.
 *
 * Why not node-nmap / xml2js: they build the whole document in memory and keep a fraction of
 * it (see README.md beside this file for the measured comparison). Here saxes feeds a small
 * state machine; each `<host>` is yielded as soon as `</host>` closes, so memory is bounded by
 * the largest single host, not by the file.
 *
 * Failure behaviour, in order of precedence:
 * - any DOCTYPE with an internal subset or an external id -> NmapXmlError XML_DTD_REFUSED, raised
 *   when the DOCTYPE closes, before the root element; saxes never fetches anything, and entity
 *   references that are not XML's five predefined ones are errors, never expanded.
 * - a root element other than `<nmaprun>`, or no root at all -> XML_NOT_NMAP.
 * - a well-formedness error after the root opened -> XML_MALFORMED with line and column; hosts
 *   already yielded (including those completed earlier in the same chunk) stay yielded.
 * - input that simply ends before `</nmaprun>` (nmap killed, file cut) is not an error: every
 *   complete host is yielded and `end` carries `complete: false`.
 */
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { NmapXmlError, PrologGuard, type ParseNmapXmlOptions } from '../../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type {
  NmapAddress,
  NmapEvent,
  NmapHost,
  NmapOsClass,
  NmapOsMatch,
  NmapPort,
  NmapRunInfo,
  NmapRunSummary,
  NmapScript,
  NmapService,
} from '../../../../services/discovery/src/nmap/nmap-types.js';

/**
 * Parses nmap XML from a byte or string stream, yielding `run` (once, after `<scaninfo>`),
 * `progress` (per `<taskprogress>`), `host` (per closed `<host>`), then `end` (once).
 * One input chunk is parsed at a time and its events are yielded before the next chunk is
 * read, so a slow consumer slows the reading (backpressure) instead of growing a buffer.
 */
export async function* parseNmapXml(
  input: AsyncIterable<string | Buffer> | NodeJS.ReadableStream,
  opts: ParseNmapXmlOptions = {},
): AsyncGenerator<NmapEvent> {
  const maxHosts = opts.maxHosts ?? Number.POSITIVE_INFINITY;
  if (!(maxHosts > 0)) throw new RangeError(`maxHosts must be positive, got ${opts.maxHosts}`);

  const reader = new NmapRunReader(maxHosts);
  const parser = createSaxParser(reader);
  const prolog = new PrologGuard();
  const decoder = new StringDecoder('utf8'); // keeps a UTF-8 sequence split across chunks whole

  for await (const chunk of input as AsyncIterable<string | Buffer>) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!reader.rootSeen) prolog.beforeWrite(text);
    const failure = attempt(() => parser.write(text));
    if (!failure && !reader.rootSeen) prolog.afterWrite(text);
    yield* reader.takePending();
    if (failure) throw failure;
    if (reader.stopped) break; // leaving the loop closes the input stream
  }

  if (!reader.stopped) {
    const failure = attempt(() => parser.write(decoder.end()));
    yield* reader.takePending();
    if (failure) throw failure;
  }
  if (!reader.rootSeen) {
    throw new NmapXmlError('XML_NOT_NMAP', 'not an nmap XML document: no <nmaprun> root element');
  }
  // Only a document whose root closed is checked to the end; one that stops early is truncated,
  // which is an expected state for a killed scan, not an error.
  if (reader.rootClosed && !reader.stopped) {
    const failure = attempt(() => parser.close());
    if (failure) throw failure;
  }
  reader.emitRunOnce();
  yield* reader.takePending();
  yield { type: 'end', summary: reader.summary() };
}

// ---------------------------------------------------------------------------------------------
// saxes wiring: security checks and error mapping live here, the nmap model in NmapRunReader.

/** Deeper than any real nmap output (NSE tables nest a handful of levels); stops nesting bombs. */
const MAX_DEPTH = 64;

/** Namespace processing off: nmap uses none, and plain attributes are plain strings. */
type PlainSaxesParser = SaxesParser<{ xmlns: false; position: true }>;

function createSaxParser(reader: NmapRunReader): PlainSaxesParser {
  const parser: PlainSaxesParser = new SaxesParser({ xmlns: false, position: true });

  parser.on('doctype', (doctype) => {
    // nmap writes exactly `<!DOCTYPE nmaprun>`. Anything after the name is an internal subset
    // (`[`: entity declarations, the XXE / billion-laughs vector) or an external id
    // (SYSTEM/PUBLIC: a fetch). saxes would not act on either, but a file carrying one is not
    // nmap output and is refused outright.
    const body = doctype.trim();
    if (!/^[A-Za-z_][\w.:-]*$/.test(body)) {
      const what = body.includes('[')
        ? 'an internal DTD subset'
        : /\b(SYSTEM|PUBLIC)\b/.test(body)
          ? 'an external DTD reference'
          : 'an unexpected DOCTYPE';
      // Quote a bounded prefix only: the DOCTYPE is attacker-controlled and may be huge.
      throw new NmapXmlError('XML_DTD_REFUSED', `refused XML with ${what} (<!DOCTYPE${doctype.slice(0, 120)}…)`, {
        line: parser.line,
        column: parser.column,
      });
    }
  });
  parser.on('opentag', (tag) => {
    if (reader.depth >= MAX_DEPTH) {
      throw new NmapXmlError('XML_MALFORMED', `XML nested deeper than ${MAX_DEPTH} elements`, {
        line: parser.line,
        column: parser.column,
      });
    }
    if (!reader.rootSeen && tag.name !== 'nmaprun') {
      throw new NmapXmlError('XML_NOT_NMAP', `not an nmap XML document: root element is <${tag.name.slice(0, 64)}>`, {
        root: tag.name.slice(0, 64),
        line: parser.line,
        column: parser.column,
      });
    }
    reader.open(tag.name, tag.attributes);
  });
  parser.on('closetag', (tag) => reader.close(tag.name));
  parser.on('text', (text) => reader.text(text));
  parser.on('comment', (comment) => reader.comment(comment));
  // No 'cdata' or 'processinginstruction' handlers: nmap writes no CDATA, and its xml-stylesheet
  // PI is never followed. Measured: with all 8 of saxes' handler slots set, V8 runs saxes about
  // 5x slower (2.4 s instead of 0.5 s on a 37 MiB scan) than with 7 or fewer.

  parser.on('error', (err) => {
    // saxes prefixes "line:column: "; we carry position in details and in our own wording.
    const reason = err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '');
    // On a mismatched close tag saxes first reports the innermost open element as closed, then
    // fails: a <host> "closed" that way was never complete and must not be yielded.
    if (reason.startsWith('unexpected close tag')) reader.retractHostClosedByLastTag();
    // Past maxHosts the rest of the chunk is not the caller's concern, broken or not.
    if (reader.stopped) return;
    const details = { line: parser.line, column: parser.column, reason };
    throw reader.rootSeen
      ? new NmapXmlError('XML_MALFORMED', `malformed XML at line ${parser.line}, column ${parser.column}: ${reason}`, details)
      : new NmapXmlError('XML_NOT_NMAP', `not an nmap XML document (line ${parser.line}, column ${parser.column}: ${reason})`, details);
  });
  return parser;
}

function attempt(step: () => unknown): unknown {
  try {
    step();
    return undefined;
  } catch (err) {
    return err;
  }
}

// ---------------------------------------------------------------------------------------------
// The nmap model: an element-by-element state machine that builds one host at a time.

type Attributes = Record<string, string>;

const HOST_STATES = new Set<NmapHost['status']>(['up', 'down', 'unknown', 'skipped']);
const PORT_PROTOCOLS = new Set<NmapPort['protocol']>(['tcp', 'udp', 'sctp', 'ip']);
/** Children of <nmaprun> that describe the run and come before the first host. */
const RUN_HEADER_ELEMENTS = new Set(['scaninfo', 'verbose', 'debugging']);

/** One `<script>` or `<table>` being read: its children in document order. */
interface ElementFrame {
  key?: string;
  entries: { key?: string; value: unknown }[];
}

interface ScriptInProgress {
  id: string;
  output: string;
  into: NmapScript[];
  frames: ElementFrame[];
  elemKey?: string;
}

class NmapRunReader {
  rootSeen = false;
  rootClosed = false;
  private readonly pending: NmapEvent[] = [];
  private readonly path: string[] = [];
  private hostsEmitted = 0;
  /** True between a `</host>` and the next parser event; see retractHostClosedByLastTag. */
  private lastEventClosedHost = false;

  private run: NmapRunInfo = { scanner: 'nmap', scanInfo: [] };
  private runEmitted = false;
  private runstatsSeen = false;
  private stats: Omit<NmapRunSummary, 'complete'> = {};

  private host?: NmapHost;
  private port?: NmapPort;
  private service?: NmapService;
  private osMatch?: NmapOsMatch;
  private osClass?: NmapOsClass;
  private script?: ScriptInProgress;
  /** Text of the current `<elem>` or `<cpe>`; undefined when no text is wanted (bounds memory). */
  private textBuffer?: string;

  constructor(private readonly maxHosts: number) {}

  get depth(): number {
    return this.path.length;
  }

  get stopped(): boolean {
    return this.hostsEmitted >= this.maxHosts;
  }

  takePending(): NmapEvent[] {
    return this.pending.splice(0);
  }

  emitRunOnce(): void {
    if (this.runEmitted || !this.rootSeen) return;
    this.runEmitted = true;
    this.pending.push({ type: 'run', run: this.run });
  }

  summary(): NmapRunSummary {
    return { ...this.stats, complete: this.rootClosed && this.runstatsSeen && !this.stopped };
  }

  noteEvent(): void {
    this.lastEventClosedHost = false;
  }

  retractHostClosedByLastTag(): void {
    if (!this.lastEventClosedHost) return;
    const last = this.pending.at(-1);
    if (last?.type === 'host') {
      this.pending.pop();
      this.hostsEmitted -= 1;
    }
    this.lastEventClosedHost = false;
  }

  open(name: string, a: Attributes): void {
    this.noteEvent();
    if (this.stopped) return;
    const parent = this.path.at(-1);
    this.path.push(name);
    if (parent === undefined) this.openRoot(a);
    else if (parent === 'nmaprun') this.openRunChild(name, a);
    else if (this.host) this.openInHost(name, parent, a);
    else if (parent === 'runstats') this.openRunstatsChild(name, a);
    // Anything else (<hosthint>, <prescript>, <postscript>, <output>, ...) is not modelled.
  }

  close(name: string): void {
    this.noteEvent();
    if (this.stopped) return;
    this.path.pop();
    switch (name) {
      case 'nmaprun':
        if (this.path.length === 0) {
          this.rootClosed = true;
          this.emitRunOnce();
        }
        return;
      case 'host':
        if (this.host && this.path.length === 1) this.finishHost(this.host);
        return;
      case 'port':
        this.port = undefined;
        this.service = undefined;
        return;
      case 'service':
        this.service = undefined;
        return;
      case 'osmatch':
        this.osMatch = undefined;
        return;
      case 'osclass':
        this.osClass = undefined;
        return;
      case 'cpe':
        this.closeCpe();
        return;
      case 'elem':
      case 'table':
      case 'script':
        this.closeScriptPart(name);
        return;
    }
  }

  text(text: string): void {
    this.noteEvent();
    if (this.textBuffer !== undefined && !this.stopped) this.textBuffer += text;
  }

  comment(comment: string): void {
    this.noteEvent();
    // nmap 4.x/5.x wrote the run summary as a comment inside <runstats>, not as an attribute.
    const trimmed = comment.trim();
    if (this.path.at(-1) === 'runstats' && this.stats.summary === undefined && /^Nmap (done|run completed)/.test(trimmed)) {
      this.stats.summary = trimmed;
    }
  }

  // --- run level ------------------------------------------------------------------------------

  private openRoot(a: Attributes): void {
    this.rootSeen = true;
    this.run = compact({
      scanner: a.scanner || 'nmap',
      version: str(a.version),
      xmlOutputVersion: str(a.xmloutputversion),
      args: str(a.args),
      startedAt: epochToIso(a.start),
      scanInfo: [],
    });
  }

  private openRunChild(name: string, a: Attributes): void {
    if (name === 'scaninfo') {
      this.run.scanInfo.push(
        compact({
          type: str(a.type),
          protocol: str(a.protocol),
          numServices: num(a.numservices),
          services: str(a.services),
        }),
      );
      return;
    }
    if (RUN_HEADER_ELEMENTS.has(name)) return;
    this.emitRunOnce(); // the header is over: consumers get the run before any host or progress
    if (name === 'host') this.host = newHost(a);
    else if (name === 'taskprogress') {
      this.pending.push(
        compact({
          type: 'progress' as const,
          task: str(a.task),
          percent: num(a.percent),
          remainingSeconds: num(a.remaining),
        }),
      );
    } else if (name === 'runstats') this.runstatsSeen = true;
  }

  private openRunstatsChild(name: string, a: Attributes): void {
    if (name === 'finished') {
      const exit = a.exit === 'success' || a.exit === 'error' ? a.exit : undefined;
      Object.assign(
        this.stats,
        compact({
          finishedAt: epochToIso(a.time),
          elapsedSeconds: num(a.elapsed),
          exit,
          errorMessage: str(a.errormsg),
          summary: str(a.summary),
        }),
      );
    } else if (name === 'hosts') {
      Object.assign(this.stats, compact({ hostsUp: num(a.up), hostsDown: num(a.down), hostsTotal: num(a.total) }));
    }
  }

  // --- host level -----------------------------------------------------------------------------

  private openInHost(name: string, parent: string, a: Attributes): void {
    const host = this.host!;
    switch (name) {
      case 'status':
        if (parent === 'host') {
          const state = a.state as NmapHost['status'];
          host.status = HOST_STATES.has(state) ? state : 'unknown';
          if (a.reason) host.statusReason = a.reason;
        }
        return;
      case 'address':
        if (parent === 'host') {
          const address = toAddress(a);
          if (address) host.addresses.push(address);
        }
        return;
      case 'hostname':
        if (parent === 'hostnames' && a.name) host.hostnames.push(compact({ name: a.name, type: str(a.type) }));
        return;
      case 'extraports':
        if (parent === 'ports') host.extraPorts.push({ state: a.state ?? 'unknown', count: num(a.count) ?? 0 });
        return;
      case 'port':
        if (parent === 'ports') this.openPort(host, a);
        return;
      case 'state':
        if (parent === 'port' && this.port) {
          this.port.state = a.state ?? 'unknown';
          if (a.reason) this.port.reason = a.reason;
        }
        return;
      case 'service':
        if (parent === 'port' && this.port) this.openService(this.port, a);
        return;
      case 'cpe':
        if ((parent === 'service' && this.service) || (parent === 'osclass' && this.osClass)) this.textBuffer = '';
        return;
      case 'script':
        if (parent === 'port' && this.port) this.openScript(this.port.scripts, a);
        else if (parent === 'hostscript') this.openScript(host.hostScripts, a);
        return;
      case 'table':
        if (this.script) this.script.frames.push(compact({ key: str(a.key), entries: [] }));
        return;
      case 'elem':
        if (this.script) {
          this.script.elemKey = str(a.key);
          this.textBuffer = '';
        }
        return;
      case 'portused':
        if (parent === 'os') {
          host.os.portsUsed.push({ state: a.state ?? 'unknown', proto: a.proto ?? 'unknown', portid: num(a.portid) ?? 0 });
        }
        return;
      case 'osmatch':
        if (parent === 'os' && a.name) {
          this.osMatch = { name: a.name, accuracy: num(a.accuracy) ?? 0, classes: [] };
          host.os.matches.push(this.osMatch);
        }
        return;
      case 'osclass':
        this.openOsClass(host, parent, a);
        return;
      case 'uptime':
        if (parent === 'host' && num(a.seconds) !== undefined) {
          host.uptime = compact({ seconds: num(a.seconds)!, lastBoot: str(a.lastboot) });
        }
        return;
      case 'distance':
        if (parent === 'host' && num(a.value) !== undefined) host.distance = num(a.value);
        return;
    }
  }

  private openPort(host: NmapHost, a: Attributes): void {
    const protocol = a.protocol as NmapPort['protocol'];
    const portid = num(a.portid);
    // masscan also writes protocol="icmp" portid="0" for ping replies: that is proof the host
    // is up (the host is still yielded) but not a port, so it is not recorded as one.
    if (!PORT_PROTOCOLS.has(protocol) || portid === undefined || !Number.isInteger(portid)) return;
    this.port = { protocol, portid, state: 'unknown', scripts: [] };
    host.ports.push(this.port);
  }

  private openService(port: NmapPort, a: Attributes): void {
    this.service = compact({
      name: str(a.name),
      product: str(a.product),
      version: str(a.version),
      extrainfo: str(a.extrainfo),
      ostype: str(a.ostype),
      hostname: str(a.hostname),
      devicetype: str(a.devicetype),
      method: str(a.method),
      conf: num(a.conf),
      tunnel: str(a.tunnel),
      cpe: [],
    });
    port.service = this.service;
    // masscan --banners puts the grabbed banner on <service name="<probe>">; nmap's own
    // `banner` NSE script carries the same thing, so consumers read both the same way.
    if (a.banner !== undefined) {
      port.scripts.push({ id: 'banner', output: a.banner, elements: { masscanProbe: a.name ?? 'unknown' } });
    }
  }

  private openOsClass(host: NmapHost, parent: string, a: Attributes): void {
    const osClass: NmapOsClass = compact({
      type: str(a.type),
      vendor: str(a.vendor),
      osfamily: str(a.osfamily),
      osgen: str(a.osgen),
      accuracy: num(a.accuracy),
      cpe: [],
    });
    if (parent === 'osmatch' && this.osMatch) this.osMatch.classes.push(osClass);
    else if (parent === 'os') (host.os.classes ??= []).push(osClass);
    else return;
    this.osClass = osClass;
  }

  private closeCpe(): void {
    if (this.textBuffer === undefined) return;
    const cpe = this.textBuffer.trim();
    this.textBuffer = undefined;
    if (!cpe) return;
    if (this.osClass) this.osClass.cpe.push(cpe);
    else if (this.service) this.service.cpe.push(cpe);
  }

  private openScript(into: NmapScript[], a: Attributes): void {
    this.script = { id: a.id ?? '', output: a.output ?? '', into, frames: [{ entries: [] }] };
  }

  private closeScriptPart(name: 'elem' | 'table' | 'script'): void {
    const script = this.script;
    if (!script) return;
    const top = script.frames.at(-1)!;
    if (name === 'elem') {
      top.entries.push(compact({ key: script.elemKey, value: this.textBuffer ?? '' }));
      script.elemKey = undefined;
      this.textBuffer = undefined;
    } else if (name === 'table' && script.frames.length > 1) {
      script.frames.pop();
      script.frames.at(-1)!.entries.push(compact({ key: top.key, value: tableValue(top) }));
    } else if (name === 'script') {
      const root = script.frames[0]!;
      script.into.push(
        root.entries.length > 0
          ? { id: script.id, output: script.output, elements: keyedObject(root) }
          : { id: script.id, output: script.output },
      );
      this.script = undefined;
    }
  }

  private finishHost(host: NmapHost): void {
    this.host = undefined;
    this.port = undefined;
    this.service = undefined;
    this.osMatch = undefined;
    this.osClass = undefined;
    this.script = undefined;
    this.textBuffer = undefined;
    this.hostsEmitted += 1;
    this.pending.push({ type: 'host', host });
    this.lastEventClosedHost = true;
  }
}

function newHost(a: Attributes): NmapHost {
  return compact({
    // masscan writes no <status>: it lists only hosts that answered, so absent means up.
    status: 'up' as NmapHost['status'],
    startTime: epochToIso(a.starttime),
    endTime: epochToIso(a.endtime),
    addresses: [],
    hostnames: [],
    ports: [],
    extraPorts: [],
    os: { matches: [], portsUsed: [] },
    hostScripts: [],
  });
}

function toAddress(a: Attributes): NmapAddress | undefined {
  if (!a.addr) return undefined;
  let addrtype: string = a.addrtype ?? (a.addr.includes(':') ? 'ipv6' : 'ipv4');
  // masscan labels every address "ipv4", IPv6 ones included.
  if (addrtype === 'ipv4' && a.addr.includes(':')) addrtype = 'ipv6';
  if (addrtype !== 'ipv4' && addrtype !== 'ipv6' && addrtype !== 'mac') return undefined;
  return compact<NmapAddress>({ addr: a.addr, addrtype, vendor: addrtype === 'mac' ? str(a.vendor) : undefined });
}

// --- NSE structured output --------------------------------------------------------------------

/** A nested table: an array when it is a pure Lua list, otherwise an object. */
function tableValue(frame: ElementFrame): unknown {
  return frame.entries.every((e) => e.key === undefined) ? frame.entries.map((e) => e.value) : keyedObject(frame);
}

/**
 * Keyed entries keep their key; unkeyed ones get their Lua list index (1-based, counting only
 * unkeyed entries), which is what the script's Lua table had. Object.fromEntries defines own
 * properties, so a hostile key such as "__proto__" cannot reach a prototype.
 */
function keyedObject(frame: ElementFrame): Record<string, unknown> {
  let listIndex = 0;
  return Object.fromEntries(frame.entries.map((e) => [e.key ?? String(++listIndex), e.value]));
}

// --- attribute helpers ------------------------------------------------------------------------

function str(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** nmap writes times as Unix epoch seconds. */
function epochToIso(value: string | undefined): string | undefined {
  const seconds = num(value);
  if (seconds === undefined) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A copy without undefined-valued keys, so the data is the same before and after a JSON round
 * trip. Copies rather than `delete`s: deleting properties drops V8 objects into slow mode.
 */
function compact<T extends object>(value: T): T {
  const copy: Partial<T> = {};
  for (const key in value) {
    if (value[key] !== undefined) copy[key] = value[key];
  }
  return copy as T;
}
