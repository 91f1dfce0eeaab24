import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A lab network built by the test itself: one network namespace per host, each joined by a veth
 * pair to a bridge in the root namespace. The /24 exists only on that bridge and inside the
 * namespaces, so nmap (run from the root namespace) can reach nothing else through it.
 * Needs root and the Debian packages orthanc, dcmtk, redis-server, nmap, iproute2.
 */
export interface LabService {
  name: string;
  port: number;
  proc: ChildProcess;
}

export interface LabHost {
  name: string;
  ns: string;
  ip: string;
  veth: string;
  services: LabService[];
}

export interface Lab {
  subnet: string;
  gateway: string;
  hosts: Record<string, LabHost>;
  stopService(host: string, service: string): Promise<void>;
  /** Requests the Ollama-like endpoint on `ai` has answered so far, in order. */
  aiRequests(): { from: string; method: string; path: string }[];
  /** Takes a host off the network (its link goes down): it stops answering at all. */
  unplug(host: string): void;
  teardown(): Promise<void>;
}

const PY = '/usr/bin/python3';

const HL7_LISTENER = `
import socketserver
class H(socketserver.BaseRequestHandler):
    def handle(self):
        buf = b''
        while True:
            d = self.request.recv(4096)
            if not d: return
            buf += d
            if b'\\x1c\\r' in buf or len(buf) > 65536:
                msh = buf.split(b'\\r')[0].lstrip(b'\\x0b')
                ctrl = msh.split(b'|')[9] if msh.count(b'|') > 9 else b'0'
                self.request.sendall(b'\\x0bMSH|^~\\\\&|LAB-HL7|ATLAS|||||ACK|' + ctrl + b'|P|2.5\\rMSA|AA|' + ctrl + b'\\r\\x1c\\r')
                return
            if not buf.startswith(b'\\x0b'):
                return
socketserver.TCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(('0.0.0.0', 2575), H).serve_forever()
`;

// Every request line is appended to requests.log next to the script (client address, method, path),
// so a test can see exactly what reached the endpoint.
const OLLAMA_LIKE = `
import http.server, json, sys
LOG = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    server_version = 'ollama'
    def log_request(self, code='-', size='-'):
        with open(LOG, 'a') as f: f.write('%s %s %s\\n' % (self.client_address[0], self.command, self.path))
    def do_GET(self):
        if self.path == '/api/tags':
            body = json.dumps({'models': [{'name': 'llama3:8b', 'model': 'llama3:8b', 'size': 4661224676}]}).encode()
            self.send_response(200); self.send_header('Content-Type', 'application/json')
        else:
            body = b'Ollama is running'
            self.send_response(200); self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('0.0.0.0', 11434), H).serve_forever()
`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}
function ipQuiet(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    /* already gone */
  }
}

async function waitPort(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, timeout: 1_000 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      s.once('timeout', () => (s.destroy(), resolve(false)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`lab service ${host}:${port} did not start`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `octet` picks the lab /24: 10.77.<octet>.0/24 (bridge .1, hosts from .10). */
export async function buildLab(octet: number): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (ip netns, raw sockets)');
  const subnet = `10.77.${octet}.0/24`;
  const gateway = `10.77.${octet}.1`;
  const br = `atlbr${octet}`;
  const dir = mkdtempSync(join(tmpdir(), 'atlas-lab-'));
  const layout: { name: string; services: { name: string; port: number; cmd: string[] }[] }[] = [
    {
      name: 'pacs',
      services: [{ name: 'orthanc', port: 4242, cmd: ['Orthanc', join(dir, 'orthanc.json')] }],
    },
    { name: 'modality', services: [{ name: 'storescp', port: 104, cmd: ['storescp', '-aet', 'MODALITY', '-od', join(dir, 'storescp'), '104'] }] },
    { name: 'cache', services: [{ name: 'redis', port: 6379, cmd: ['redis-server', '--port', '6379', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir] }] },
    { name: 'web', services: [{ name: 'http', port: 8080, cmd: [PY, '-m', 'http.server', '8080', '--bind', '0.0.0.0', '--directory', dir] }] },
    { name: 'hl7', services: [{ name: 'hl7', port: 2575, cmd: [PY, '-c', HL7_LISTENER] }] },
    { name: 'ai', services: [{ name: 'ollama', port: 11434, cmd: [PY, '-c', OLLAMA_LIKE, join(dir, 'ollama-requests.log')] }] },
  ];
  writeFileSync(
    join(dir, 'orthanc.json'),
    JSON.stringify({
      Name: 'LabPACS',
      StorageDirectory: join(dir, 'orthanc-db'),
      IndexDirectory: join(dir, 'orthanc-db'),
      DicomAet: 'ORTHANC',
      DicomPort: 4242,
      HttpPort: 8042,
      RemoteAccessAllowed: true,
      AuthenticationEnabled: false,
      DicomCheckCalledAet: false,
      Plugins: [],
    }),
  );
  execFileSync('mkdir', ['-p', join(dir, 'storescp')]);

  const hosts: Record<string, LabHost> = {};
  const teardown = async () => {
    const procs = Object.values(hosts).flatMap((h) => h.services.map((s) => s.proc));
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once('exit', r))))), new Promise((r) => setTimeout(r, 8_000))]);
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const h of Object.values(hosts)) {
      ipQuiet('link', 'del', h.veth);
      ipQuiet('netns', 'del', h.ns);
    }
    ipQuiet('link', 'del', br);
    rmSync(dir, { recursive: true, force: true });
  };

  // Leftovers of a crashed earlier run with the same names.
  for (let i = 0; i < layout.length; i++) {
    ipQuiet('link', 'del', `v${octet}h${i}`);
    ipQuiet('netns', 'del', `atl${octet}-${layout[i]!.name}`);
  }
  ipQuiet('link', 'del', br);

  try {
    ip('link', 'add', br, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', br);
    ip('link', 'set', br, 'up');
    for (let i = 0; i < layout.length; i++) {
      const l = layout[i]!;
      const ns = `atl${octet}-${l.name}`;
      const veth = `v${octet}h${i}`;
      const peer = `v${octet}n${i}`;
      const addr = `10.77.${octet}.${10 + i}`;
      ip('netns', 'add', ns);
      hosts[l.name] = { name: l.name, ns, ip: addr, veth, services: [] };
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', peer, 'netns', ns);
      ip('-n', ns, 'link', 'set', peer, 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'set', veth, 'master', br);
      ip('link', 'set', veth, 'up');
      for (const s of l.services) {
        const proc = spawn('ip', ['netns', 'exec', ns, ...s.cmd], { stdio: 'ignore', cwd: dir });
        hosts[l.name]!.services.push({ name: s.name, port: s.port, proc });
      }
    }
    await Promise.all(Object.values(hosts).flatMap((h) => h.services.map((s) => waitPort(h.ip, s.port))));
    await waitPort(hosts.pacs!.ip, 8042);
  } catch (err) {
    await teardown();
    throw err;
  }

  return {
    subnet,
    gateway,
    hosts,
    async stopService(host, service) {
      const s = hosts[host]!.services.find((x) => x.name === service)!;
      if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
      const exited = new Promise((r) => s.proc.once('exit', r));
      s.proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8_000))]);
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    },
    aiRequests() {
      let text = '';
      try {
        text = readFileSync(join(dir, 'ollama-requests.log'), 'utf8');
      } catch {
        /* nothing logged yet */
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [from = '', method = '', path = ''] = l.split(' ');
          return { from, method, path };
        });
    },
    unplug(host) {
      ip('link', 'set', hosts[host]!.veth, 'down');
    },
    teardown,
  };
}
