import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { aggregateFlows, parseFlowLog } from '../../../services/discovery/src/imports/flow-log-parser.js';

async function all(text: string) {
  const out = [];
  for await (const r of parseFlowLog(Readable.from([Buffer.from(text)]))) out.push(r);
  return out;
}

const TSV = [
  '#separator \\x09',
  '#set_separator\t,',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tcount',
  '1733300000.100000\tC1\t10.77.0.20\t50000\t10.77.0.10\t4242\ttcp\tdicom\t2.5\t1000\t20000\tSF\t10\t20',
  '1733300100.000000\tC2\t10.77.0.20\t50001\t10.77.0.10\t4242\ttcp\t-\t-\t-\t-\tS0\t1\t0',
  '#close\t2024-12-04-10-00-00',
].join('\n');

describe('flow log parser', () => {
  it('reads Zeek TSV with unset fields and aggregates per src/dst/proto/port', async () => {
    const rs = await all(TSV);
    expect(rs).toHaveLength(2);
    expect(rs[0]).toMatchObject({ format: 'zeek-tsv', src: '10.77.0.20', dst: '10.77.0.10', dstPort: 4242, proto: 'tcp', service: 'dicom', bytes: 21000, packets: 30 });
    const [e] = aggregateFlows(rs);
    expect(e).toMatchObject({ bytes: 21000, packets: 31, flows: 2, firstSeen: '2024-12-04T08:13:20.100Z', lastSeen: '2024-12-04T08:15:00.000Z' });
  });

  it('reads Zeek JSON lines and the plain flow CSV', async () => {
    const json = await all('{"ts":1733300000.5,"id.orig_h":"10.77.0.21","id.orig_p":1,"id.resp_h":"10.77.0.12","id.resp_p":6379,"proto":"tcp","duration":1,"orig_bytes":5,"resp_bytes":7,"orig_pkts":1,"resp_pkts":2}\n');
    expect(json[0]).toMatchObject({ format: 'zeek-json', bytes: 12, packets: 3, dstPort: 6379 });
    const csv = await all('src,dst,dst_port,proto,bytes,packets,first_seen,last_seen\n10.77.0.20,10.77.0.14,2575,tcp,300,4,2024-12-04T10:00:00Z,2024-12-04T10:05:00Z\n');
    expect(csv[0]).toMatchObject({ format: 'flow-csv', dstPort: 2575, bytes: 300, packets: 4, lastSeen: Date.parse('2024-12-04T10:05:00Z') });
  });

  it.each([
    [TSV.replace('10.77.0.20\t50000', 'not-an-ip\t50000'), /line 6, field id.orig_h/],
    ['{"ts":1,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"tcp","orig_bytes":-5}\n', /line 1, field orig_bytes/],
    ['{"ts":1}\n[1,2]\n', /line 1, field id.orig_h/],
    ['src,dst,proto,first_seen\n10.0.0.1,10.0.0.2,tcp,yesterday\n', /line 2, field first_seen/],
    ['src,dst\n', /field proto/],
    ['\n\n', /no flow lines/],
  ])('refuses bad input naming line and field (%#)', async (text, msg) => {
    await expect(all(text)).rejects.toThrow(msg);
  });
});
