/**
 * The fixed list of scan profiles. Arguments are constants: nothing a user sends ever becomes
 * an argv element (targets go to nmap's stdin, see nmap-runner.ts).
 */
export const PROFILE_IDS = ['host-discovery', 'top-tcp', 'service-version', 'os', 'healthcare', 'connect-fallback'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

export interface ScanProfile {
  id: ProfileId;
  description: string;
  args: readonly string[];
  /** Wall-clock limit for one chunk; the child is killed past it (SCAN_TIMEOUT). */
  maxSeconds: number;
}

const COMMON = ['-n', '-T4', '--host-timeout', '5m'] as const;

export const PROFILES: Record<ProfileId, ScanProfile> = {
  'host-discovery': { id: 'host-discovery', description: 'Which hosts are up (ping scan, no ports)', args: ['-sn', ...COMMON], maxSeconds: 600 },
  'top-tcp': { id: 'top-tcp', description: 'The 100 most common TCP ports (SYN scan)', args: ['-sS', '--top-ports', '100', ...COMMON], maxSeconds: 900 },
  'service-version': {
    id: 'service-version',
    description: 'The 1000 most common TCP ports with service and version detection',
    args: ['-sS', '-sV', '--version-light', '--top-ports', '1000', ...COMMON],
    maxSeconds: 1800,
  },
  os: { id: 'os', description: 'OS fingerprinting over the 100 most common TCP ports', args: ['-sS', '-O', '--osscan-limit', '--top-ports', '100', ...COMMON], maxSeconds: 1800 },
  healthcare: {
    id: 'healthcare',
    description: 'Healthcare protocols: DICOM (104, 4242, 11112) with dicom-ping, HL7 MLLP (2575), FHIR/HTTP(S), Orthanc, Redis, Ollama',
    args: ['-sS', '-sV', '--version-light', '-p', 'T:80,104,443,2575,4242,6379,8000,8042,8080,8443,11112,11434', '--script', 'dicom-ping', ...COMMON],
    maxSeconds: 1800,
  },
  'connect-fallback': {
    id: 'connect-fallback',
    description: 'Unprivileged TCP connect scan of the 100 most common ports with light version detection',
    args: ['-sT', '-sV', '--version-light', '--top-ports', '100', ...COMMON],
    maxSeconds: 1800,
  },
};

export function isProfileId(s: string): s is ProfileId {
  return (PROFILE_IDS as readonly string[]).includes(s);
}

/**
 * Final argv for a profile. Without raw-socket privilege a SYN scan becomes a connect scan and OS
 * detection is dropped, instead of nmap failing with "requires root privileges".
 */
export function profileArgv(id: ProfileId, opts: { privileged: boolean; family: 4 | 6 }): string[] {
  let args = [...PROFILES[id].args];
  if (!opts.privileged) {
    args = args.map((a) => (a === '-sS' ? '-sT' : a));
    const i = args.indexOf('-O');
    if (i >= 0) args.splice(i, 1);
    const j = args.indexOf('--osscan-limit');
    if (j >= 0) args.splice(j, 1);
  }
  if (opts.family === 6) args.unshift('-6');
  return [...args, '--noninteractive', '--stats-every', '2s', '-oX', '-', '-iL', '-'];
}
