/**
 * The data model of one nmap (or masscan) XML run, as produced by `parseNmapXml`.
 *
 * Plain data only, so it can cross a queue or an HTTP boundary unchanged: no classes, no Dates
 * (times are ISO-8601 UTC strings), numbers are numbers. Optional fields are absent, never
 * `undefined`-valued or empty strings, when nmap did not write them.
 */

export interface NmapAddress {
  addr: string;
  addrtype: 'ipv4' | 'ipv6' | 'mac';
  /** MAC vendor from nmap's OUI table; only on `mac` addresses, and only when nmap knew it. */
  vendor?: string;
}

/** Every hostname nmap wrote: `user` (the name given on the command line), `PTR`, ... */
export interface NmapHostname {
  name: string;
  type?: string;
}

/**
 * One NSE script result. `output` is the human-readable text nmap prints. `elements` is the
 * structured output (`<elem>`/`<table>`), present only when the script produced some:
 * a keyed child becomes a property; an unkeyed child at the top level gets its Lua index
 * ("1", "2", ...) as key; a nested table whose children are all unkeyed becomes an array.
 * Leaf values are kept as the strings nmap wrote.
 */
export interface NmapScript {
  id: string;
  output: string;
  elements?: Record<string, unknown>;
}

export interface NmapService {
  name?: string;
  product?: string;
  version?: string;
  extrainfo?: string;
  ostype?: string;
  hostname?: string;
  /** `router`, `storage-misc`, `printer`, ...: what kind of device the version probe saw. */
  devicetype?: string;
  /** `probed` (version detection matched) or `table` (guessed from the port number). */
  method?: string;
  /** Confidence 0-10; 3 for a `table` guess, 10 for a probe match. */
  conf?: number;
  tunnel?: string;
  cpe: string[];
}

export interface NmapPort {
  protocol: 'tcp' | 'udp' | 'sctp' | 'ip';
  portid: number;
  state: string;
  reason?: string;
  service?: NmapService;
  scripts: NmapScript[];
}

export interface NmapOsClass {
  type?: string;
  vendor?: string;
  osfamily?: string;
  osgen?: string;
  accuracy?: number;
  cpe: string[];
}

export interface NmapOsMatch {
  name: string;
  accuracy: number;
  classes: NmapOsClass[];
}

export interface NmapHost {
  status: 'up' | 'down' | 'unknown' | 'skipped';
  statusReason?: string;
  startTime?: string;
  endTime?: string;
  addresses: NmapAddress[];
  hostnames: NmapHostname[];
  ports: NmapPort[];
  extraPorts: { state: string; count: number }[];
  os: {
    matches: NmapOsMatch[];
    portsUsed: { state: string; proto: string; portid: number }[];
    /**
     * xmloutputversion <= 1.03 (nmap 4.x/5.x) wrote `<osclass>` beside `<osmatch>`, not inside
     * it, with no link between the two; those classes land here. Absent for newer output.
     */
    classes?: NmapOsClass[];
  };
  uptime?: { seconds: number; lastBoot?: string };
  distance?: number;
  hostScripts: NmapScript[];
}

export interface NmapScanInfo {
  type?: string;
  protocol?: string;
  numServices?: number;
  services?: string;
}

export interface NmapRunInfo {
  /** `nmap` or `masscan`. */
  scanner: string;
  version?: string;
  xmlOutputVersion?: string;
  args?: string;
  startedAt?: string;
  scanInfo: NmapScanInfo[];
}

export interface NmapRunSummary {
  finishedAt?: string;
  elapsedSeconds?: number;
  exit?: 'success' | 'error';
  errorMessage?: string;
  summary?: string;
  hostsUp?: number;
  hostsDown?: number;
  hostsTotal?: number;
  /**
   * True only when the document closed `</nmaprun>` after a `<runstats>`. False when it was
   * truncated (nmap killed, disk full, still running) or when `maxHosts` stopped the parse:
   * hosts missing from such a run must not be taken as gone.
   */
  complete: boolean;
}

export type NmapEvent =
  | { type: 'run'; run: NmapRunInfo }
  | { type: 'host'; host: NmapHost }
  | { type: 'progress'; task?: string; percent?: number; remainingSeconds?: number }
  | { type: 'end'; summary: NmapRunSummary };
