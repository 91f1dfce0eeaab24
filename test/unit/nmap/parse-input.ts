// Feeding the nmap parser in tests: a document cut into chunks of a given size, and the events
// a parse yields up to the NmapXmlError that ends it, if any.
import { NmapXmlError, parseNmapXml } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapEvent } from '../../../services/discovery/src/nmap/nmap-types.js';

/** The document in pieces of `size` characters (or bytes, for a Buffer), in order. */
export async function* pieces<T extends string | Buffer>(data: T, size: number): AsyncGenerator<T> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size) as T;
}

/** Every event the parse yields; a parse error is returned with the events before it. */
export async function parseCollecting(data: string | Buffer, size: number): Promise<{ events: NmapEvent[]; error?: NmapXmlError }> {
  const events: NmapEvent[] = [];
  try {
    for await (const event of parseNmapXml(pieces(data, size))) events.push(event);
    return { events };
  } catch (error) {
    if (!(error instanceof NmapXmlError)) throw error;
    return { events, error };
  }
}
