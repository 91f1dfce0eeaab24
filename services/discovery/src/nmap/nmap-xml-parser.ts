/**
 * Streaming, secure reader of nmap `-oX` (and masscan `-oX`) output.
 *
 * Why not node-nmap / xml2js: they build the whole document in memory and keep a fraction of
 * it (see README.md beside this file for the measured comparison). Here a strict XML tokenizer
 * written for nmap output (xml-tokenizer.ts) feeds a small state machine; each `<host>` is
 * yielded as soon as `</host>` closes, so memory is bounded by the largest single host, not by
 * the file.
 *
 * Failure behaviour, in order of precedence:
 * - any DOCTYPE with an internal subset or an external id -> NmapXmlError XML_DTD_REFUSED, raised
 *   as soon as the subset or id starts, before the root element; nothing is ever fetched, and
 *   entity references that are not XML's five predefined ones are errors, never expanded.
 * - a root element other than `<nmaprun>`, or no root at all -> XML_NOT_NMAP.
 * - a well-formedness error after the root opened -> XML_MALFORMED with line and column; hosts
 *   already yielded (including those completed earlier in the same chunk) stay yielded.
 * - input that simply ends before `</nmaprun>` (nmap killed, file cut) is not an error: every
 *   complete host is yielded and `end` carries `complete: false`.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ValidationError } from '../../../core/src/errors.js';
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
} from './nmap-types.js';
import { XmlSyntaxError, XmlTokenizer, type XmlAttributes, type XmlHandler } from './xml-tokenizer.js';

export type NmapXmlErrorCode = 'XML_DTD_REFUSED' | 'XML_NOT_NMAP' | 'XML_MALFORMED';

export class NmapXmlError extends ValidationError {
  constructor(code: NmapXmlErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export interface ParseNmapXmlOptions {
  /** Stop after this many `<host>` elements; the `end` event then says `complete: false`. */
  maxHosts?: number;
}

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
  const parser = new NmapXmlParser(reader);
  const prolog = new PrologGuard();
  const decoder = new StringDecoder('utf8'); // keeps a UTF-8 sequence split across chunks whole

  for await (const chunk of input as AsyncIterable<string | Buffer>) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!reader.rootSeen) prolog.beforeWrite(text);
    const failure = parser.attempt(() => parser.tokenizer.write(text));
    if (!failure && !reader.rootSeen) prolog.afterWrite(text);
    yield* reader.takePending();
    if (failure) throw failure;
    if (reader.stopped) break; // leaving the loop closes the input stream
  }

  if (!reader.stopped) {
    const failure = parser.attempt(() => {
      parser.tokenizer.write(decoder.end());
      parser.tokenizer.checkRemainder();
    });
    yield* reader.takePending();
    if (failure) throw failure;
  }
  if (!reader.rootSeen) {
    throw new NmapXmlError('XML_NOT_NMAP', 'not an nmap XML document: no <nmaprun> root element');
  }
  // Only a document whose root closed is checked to the end; one that stops early is truncated,
  // which is an expected state for a killed scan, not an error.
  if (reader.rootClosed && !reader.stopped) {
    const failure = parser.attempt(() => parser.tokenizer.close());
    if (failure) throw failure;
  }
  reader.emitRunOnce();
  yield* reader.takePending();
  yield { type: 'end', summary: reader.summary() };
}

/** Reads a whole file into memory as plain data: for tests and small files only. */
export async function parseNmapXmlFile(
  path: string,
): Promise<{ run: NmapRunInfo; hosts: NmapHost[]; summary: NmapRunSummary }> {
  let run: NmapRunInfo | undefined;
  let summary: NmapRunSummary | undefined;
  const hosts: NmapHost[] = [];
  for await (const event of parseNmapXml(createReadStream(path))) {
    if (event.type === 'run') run = event.run;
    else if (event.type === 'host') hosts.push(event.host);
    else if (event.type === 'end') summary = event.summary;
  }
  // parseNmapXml always yields `run` and `end` unless it throws.
  return { run: run!, hosts, summary: summary! };
}

// ---------------------------------------------------------------------------------------------
// Tokenizer wiring: security checks and error mapping live here, the nmap model in NmapRunReader.

/** nmap's prolog is a few hundred bytes plus the command line; 8 MiB bounds a hostile one. */
const MAX_PROLOG_CHARS = 8 * 2 ** 20;

/**
 * Watches the raw text before the root element, so an entity declaration is refused as soon as
 * it arrives, whatever precedes it. (nmap escapes `<` in the command line it echoes in a
 * comment, so `<!ENTITY` never appears in genuine nmap output.) Exported for the reference
 * parser the differential test compares with.
 */
export class PrologGuard {
  private tail = '';
  private length = 0;

  beforeWrite(text: string): void {
    const window = this.tail + text;
    if (window.includes('<!ENTITY')) {
      throw new NmapXmlError('XML_DTD_REFUSED', 'refused XML with an entity declaration (<!ENTITY)');
    }
    this.tail = window.slice(-'<!ENTITY'.length);
  }

  /** Counted after the write, so a first chunk holding the whole document is not mistaken. */
  afterWrite(text: string): void {
    this.length += text.length;
    if (this.length > MAX_PROLOG_CHARS) {
      throw new NmapXmlError('XML_NOT_NMAP', `not an nmap XML document: no <nmaprun> root element in the first ${MAX_PROLOG_CHARS} characters`);
    }
  }
}

/** Deeper than any real nmap output (NSE tables nest a handful of levels); stops nesting bombs. */
const MAX_DEPTH = 64;

/** Checks the document-level rules (DOCTYPE, root, depth) and hands every token to the reader. */
class NmapXmlParser implements XmlHandler {
  readonly tokenizer: XmlTokenizer;

  constructor(private readonly reader: NmapRunReader) {
    this.tokenizer = new XmlTokenizer(this);
  }

  get wantsText(): boolean {
    return this.reader.wantsText;
  }

  get halted(): boolean {
    return this.reader.stopped;
  }

  doctype(doctype: string, complete: boolean): void {
    // nmap writes exactly `<!DOCTYPE nmaprun>`. Anything after the name is an internal subset
    // (`[`: entity declarations, the XXE / billion-laughs vector) or an external id
    // (SYSTEM/PUBLIC: a fetch). Neither is ever read: a file carrying one is not nmap output.
    const body = doctype.trim();
    if (complete && /^[A-Za-z_][\w.:-]*$/.test(body)) return;
    const what = body.includes('[')
      ? 'an internal DTD subset'
      : /\b(SYSTEM|PUBLIC)\b/.test(body)
        ? 'an external DTD reference'
        : 'an unexpected DOCTYPE';
    // Quote a bounded prefix only: the DOCTYPE is attacker-controlled and may be huge.
    throw new NmapXmlError('XML_DTD_REFUSED', `refused XML with ${what} (<!DOCTYPE${doctype.slice(0, 120)}…)`, this.tokenizer.location());
  }

  open(name: string, attributes: XmlAttributes): void {
    if (this.reader.depth >= MAX_DEPTH) {
      const { line, column } = this.tokenizer.location();
      throw new NmapXmlError('XML_MALFORMED', `XML nested deeper than ${MAX_DEPTH} elements`, { line, column });
    }
    if (!this.reader.rootSeen && name !== 'nmaprun') {
      throw new NmapXmlError('XML_NOT_NMAP', `not an nmap XML document: root element is <${name.slice(0, 64)}>`, {
        root: name.slice(0, 64),
        ...this.tokenizer.location(),
      });
    }
    this.reader.open(name, attributes);
  }

  close(name: string): void {
    this.reader.close(name);
  }

  text(text: string): void {
    this.reader.text(text);
  }

  comment(comment: string): void {
    this.reader.comment(comment);
  }

  /** Runs a tokenizer step; returns the error it raised, syntax errors mapped to NmapXmlError. */
  attempt(step: () => void): unknown {
    try {
      step();
      return undefined;
    } catch (err) {
      if (!(err instanceof XmlSyntaxError)) return err;
      const { line, column, reason } = err;
      const details = { line, column, reason };
      return this.reader.rootSeen
        ? new NmapXmlError('XML_MALFORMED', `malformed XML at line ${line}, column ${column}: ${reason}`, details)
        : new NmapXmlError('XML_NOT_NMAP', `not an nmap XML document (line ${line}, column ${column}: ${reason})`, details);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The nmap model: an element-by-element state machine that builds one host at a time.

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

  /** True while an `<elem>` or `<cpe>` whose text is kept is open. */
  get wantsText(): boolean {
    return this.textBuffer !== undefined && !this.stopped;
  }

  open(name: string, a: XmlAttributes): void {
    if (this.stopped) return;
    const parent = this.path.length > 0 ? this.path[this.path.length - 1] : undefined;
    this.path.push(name);
    if (parent === undefined) this.openRoot(a);
    else if (parent === 'nmaprun') this.openRunChild(name, a);
    else if (this.host) this.openInHost(name, parent, a);
    else if (parent === 'runstats') this.openRunstatsChild(name, a);
    // Anything else (<hosthint>, <prescript>, <postscript>, <output>, ...) is not modelled.
  }

  close(name: string): void {
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
    if (this.textBuffer !== undefined && !this.stopped) this.textBuffer += text;
  }

  comment(comment: string): void {
    // nmap 4.x/5.x wrote the run summary as a comment inside <runstats>, not as an attribute.
    const trimmed = comment.trim();
    if (this.path.at(-1) === 'runstats' && this.stats.summary === undefined && /^Nmap (done|run completed)/.test(trimmed)) {
      this.stats.summary = trimmed;
    }
  }

  // --- run level ------------------------------------------------------------------------------

  private openRoot(a: XmlAttributes): void {
    this.rootSeen = true;
    this.run = compact({
      scanner: a.get('scanner') || 'nmap',
      version: str(a.get('version')),
      xmlOutputVersion: str(a.get('xmloutputversion')),
      args: str(a.get('args')),
      startedAt: epochToIso(a.get('start')),
      scanInfo: [],
    });
  }

  private openRunChild(name: string, a: XmlAttributes): void {
    if (name === 'scaninfo') {
      this.run.scanInfo.push(
        compact({
          type: str(a.get('type')),
          protocol: str(a.get('protocol')),
          numServices: num(a.get('numservices')),
          services: str(a.get('services')),
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
          task: str(a.get('task')),
          percent: num(a.get('percent')),
          remainingSeconds: num(a.get('remaining')),
        }),
      );
    } else if (name === 'runstats') this.runstatsSeen = true;
  }

  private openRunstatsChild(name: string, a: XmlAttributes): void {
    if (name === 'finished') {
      const exit = a.get('exit') === 'success' || a.get('exit') === 'error' ? a.get('exit') : undefined;
      Object.assign(
        this.stats,
        compact({
          finishedAt: epochToIso(a.get('time')),
          elapsedSeconds: num(a.get('elapsed')),
          exit,
          errorMessage: str(a.get('errormsg')),
          summary: str(a.get('summary')),
        }),
      );
    } else if (name === 'hosts') {
      Object.assign(this.stats, compact({ hostsUp: num(a.get('up')), hostsDown: num(a.get('down')), hostsTotal: num(a.get('total')) }));
    }
  }

  // --- host level -----------------------------------------------------------------------------

  private openInHost(name: string, parent: string, a: XmlAttributes): void {
    const host = this.host!;
    switch (name) {
      case 'status':
        if (parent === 'host') {
          const state = a.get('state') as NmapHost['status'];
          host.status = HOST_STATES.has(state) ? state : 'unknown';
          if (a.get('reason')) host.statusReason = a.get('reason');
        }
        return;
      case 'address':
        if (parent === 'host') {
          const address = toAddress(a);
          if (address) host.addresses.push(address);
        }
        return;
      case 'hostname': {
        const hostname = parent === 'hostnames' ? a.get('name') : undefined;
        const type = hostname ? a.get('type') : undefined;
        if (hostname) host.hostnames.push(type ? { name: hostname, type } : { name: hostname });
        return;
      }
      case 'extraports':
        if (parent === 'ports') host.extraPorts.push({ state: a.get('state') ?? 'unknown', count: num(a.get('count')) ?? 0 });
        return;
      case 'port':
        if (parent === 'ports') this.openPort(host, a);
        return;
      case 'state':
        if (parent === 'port' && this.port) {
          this.port.state = a.get('state') ?? 'unknown';
          if (a.get('reason')) this.port.reason = a.get('reason');
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
        if (this.script) this.script.frames.push(compact({ key: str(a.get('key')), entries: [] }));
        return;
      case 'elem':
        if (this.script) {
          this.script.elemKey = str(a.get('key'));
          this.textBuffer = '';
        }
        return;
      case 'portused':
        if (parent === 'os') {
          host.os.portsUsed.push({ state: a.get('state') ?? 'unknown', proto: a.get('proto') ?? 'unknown', portid: num(a.get('portid')) ?? 0 });
        }
        return;
      case 'osmatch': {
        const osName = parent === 'os' ? a.get('name') : undefined;
        if (osName) {
          const osMatch: NmapOsMatch = { name: osName, accuracy: num(a.get('accuracy')) ?? 0, classes: [] };
          this.osMatch = osMatch;
          host.os.matches.push(osMatch);
        }
        return;
      }
      case 'osclass':
        this.openOsClass(host, parent, a);
        return;
      case 'uptime':
        if (parent === 'host' && num(a.get('seconds')) !== undefined) {
          host.uptime = compact({ seconds: num(a.get('seconds'))!, lastBoot: str(a.get('lastboot')) });
        }
        return;
      case 'distance':
        if (parent === 'host' && num(a.get('value')) !== undefined) host.distance = num(a.get('value'));
        return;
    }
  }

  private openPort(host: NmapHost, a: XmlAttributes): void {
    const protocol = a.get('protocol') as NmapPort['protocol'];
    const portid = num(a.get('portid'));
    // masscan also writes protocol="icmp" portid="0" for ping replies: that is proof the host
    // is up (the host is still yielded) but not a port, so it is not recorded as one.
    if (!PORT_PROTOCOLS.has(protocol) || portid === undefined || !Number.isInteger(portid)) return;
    this.port = { protocol, portid, state: 'unknown', scripts: [] };
    host.ports.push(this.port);
  }

  private openService(port: NmapPort, a: XmlAttributes): void {
    // Built key by key in the model's order, absent attributes left out (three per host: no
    // intermediate object with undefined values to copy).
    const service = {} as NmapService;
    setPresent(service, a, SERVICE_TEXT_BEFORE_CONF);
    const conf = num(a.get('conf'));
    if (conf !== undefined) service.conf = conf;
    setPresent(service, a, SERVICE_TEXT_AFTER_CONF);
    service.cpe = [];
    this.service = service;
    port.service = service;
    // masscan --banners puts the grabbed banner on <service name="<probe>">; nmap's own
    // `banner` NSE script carries the same thing, so consumers read both the same way.
    const banner = a.get('banner');
    if (banner !== undefined) {
      port.scripts.push({ id: 'banner', output: banner, elements: { masscanProbe: a.get('name') ?? 'unknown' } });
    }
  }

  private openOsClass(host: NmapHost, parent: string, a: XmlAttributes): void {
    const osClass = {} as NmapOsClass;
    setPresent(osClass, a, OS_CLASS_TEXT);
    const accuracy = num(a.get('accuracy'));
    if (accuracy !== undefined) osClass.accuracy = accuracy;
    osClass.cpe = [];
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

  private openScript(into: NmapScript[], a: XmlAttributes): void {
    this.script = { id: a.get('id') ?? '', output: a.get('output') ?? '', into, frames: [{ entries: [] }] };
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
  }
}

// The text attributes of <service> and <osclass>, in the model's key order.
const SERVICE_TEXT_BEFORE_CONF = ['name', 'product', 'version', 'extrainfo', 'ostype', 'hostname', 'devicetype', 'method'] as const;
const SERVICE_TEXT_AFTER_CONF = ['tunnel'] as const;
const OS_CLASS_TEXT = ['type', 'vendor', 'osfamily', 'osgen'] as const;

/** Sets each named attribute that the tag has with a non-empty value, in the order given. */
function setPresent<T extends object>(into: T, a: XmlAttributes, names: readonly (keyof T & string)[]): void {
  for (const name of names) {
    const value = a.get(name);
    if (value) (into as Record<string, unknown>)[name] = value;
  }
}

function newHost(a: XmlAttributes): NmapHost {
  // masscan writes no <status>: it lists only hosts that answered, so absent means up.
  const host = { status: 'up' } as NmapHost;
  const startTime = epochToIso(a.get('starttime'));
  if (startTime !== undefined) host.startTime = startTime;
  const endTime = epochToIso(a.get('endtime'));
  if (endTime !== undefined) host.endTime = endTime;
  host.addresses = [];
  host.hostnames = [];
  host.ports = [];
  host.extraPorts = [];
  host.os = { matches: [], portsUsed: [] };
  host.hostScripts = [];
  return host;
}

function toAddress(a: XmlAttributes): NmapAddress | undefined {
  const addr = a.get('addr');
  if (!addr) return undefined;
  let addrtype: string = a.get('addrtype') ?? (addr.includes(':') ? 'ipv6' : 'ipv4');
  // masscan labels every address "ipv4", IPv6 ones included.
  if (addrtype === 'ipv4' && addr.includes(':')) addrtype = 'ipv6';
  if (addrtype !== 'ipv4' && addrtype !== 'ipv6' && addrtype !== 'mac') return undefined;
  const vendor = addrtype === 'mac' ? a.get('vendor') : undefined;
  return vendor ? { addr, addrtype, vendor } : { addr, addrtype };
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
  if (value === undefined) return undefined;
  const n = Number(value);
  // Number('') and Number(' ') are 0: only then is the text looked at again.
  if (n === 0 && value.trim() === '') return undefined;
  return Number.isFinite(n) ? n : undefined;
}

/** nmap writes times as Unix epoch seconds. */
function epochToIso(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Hosts scanned together share their times: the last conversion is kept.
  if (value === lastEpoch.text) return lastEpoch.iso;
  let iso: string | undefined;
  if (/^[0-9]{1,12}$/.test(value) && Number(value) < MAX_FAST_EPOCH) iso = isoFromWholeSeconds(Number(value));
  else {
    const seconds = num(value);
    if (seconds !== undefined) {
      const date = new Date(seconds * 1000);
      iso = Number.isNaN(date.getTime()) ? undefined : date.toISOString();
    }
  }
  lastEpoch.text = value;
  lastEpoch.iso = iso;
  return iso;
}

const lastEpoch: { text?: string; iso?: string } = {};
/** 10000-01-01T00:00:00Z: below it, toISOString writes a plain four-digit year. */
const MAX_FAST_EPOCH = 253_402_300_800;

/**
 * What `new Date(seconds * 1000).toISOString()` returns, for whole seconds from 1970 to 9999,
 * without a Date (four times faster; two per host). Civil date from days after H. Hinnant.
 */
export function isoFromWholeSeconds(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  let rest = seconds - days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(secs)}.000Z`;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

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
