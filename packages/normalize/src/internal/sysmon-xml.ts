/**
 * Reads the one `<Event>` XML document Sysmon for Linux writes per syslog line. Sysmon's schema is fixed and flat
 * (`<System>` header elements, then `<EventData>` with `<Data Name="…">value</Data>`), so a targeted reader of those
 * elements is exact and avoids a general XML parser: values are element text with the five predefined entities and
 * numeric character references.
 */

/** The parts of a Sysmon event this package reads. */
export interface SysmonEvent {
  readonly eventId: number;
  readonly computer: string | undefined;
  readonly recordId: string | undefined;
  readonly systemTime: string | undefined;
  /** `<Data Name>` → text; Sysmon's `-` (no value) is left out. */
  readonly data: ReadonlyMap<string, string>;
}

const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g;
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces XML entity and character references. */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    ENTITY,
    (_m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (name) return NAMED[name];
      const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    },
  );
}

function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml);
  return m ? decodeXmlText(m[1]) : undefined;
}

/** Parses the XML of one event, or returns why it cannot. */
export function parseSysmonXml(xml: string): SysmonEvent | { readonly error: string } {
  if (!xml.includes('</Event>'))
    return { error: 'truncated Sysmon XML: no </Event> (syslog line length limit?)' };
  const idText = element(xml, 'EventID');
  const eventId = idText !== undefined ? Number(idText.trim()) : NaN;
  if (!Number.isInteger(eventId)) return { error: 'Sysmon XML has no numeric <EventID>' };
  const data = new Map<string, string>();
  const dataRe = /<Data Name=(?:"([^"]*)"|'([^']*)')\s*(?:\/>|>([^<]*)<\/Data>)/g;
  for (let m = dataRe.exec(xml); m !== null; m = dataRe.exec(xml)) {
    const name = m[1] ?? m[2];
    const value = m[3] !== undefined ? decodeXmlText(m[3]) : '';
    if (value !== '' && value !== '-') data.set(name, value);
  }
  const st = /<TimeCreated\s+SystemTime=(?:"([^"]*)"|'([^']*)')/.exec(xml);
  return {
    eventId,
    computer: element(xml, 'Computer'),
    recordId: element(xml, 'EventRecordID'),
    systemTime: st ? (st[1] ?? st[2]) : undefined,
    data,
  };
}
