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

/**
 * The text of the first `<name …>text</name>` element, scanning with `indexOf` only: a pattern such as
 * `<name(\s[^>]*)?>([^<]*)</name>` rescans the rest of the line from every `<name` it tries, quadratic in the number
 * of tags on a hostile line. Every candidate before the `>` a failed candidate found would find the same `>` and
 * fail the same way, so the scan resumes after it: each character is looked at a bounded number of times.
 */
function element(xml: string, name: string): string | undefined {
  const open = `<${name}`;
  const close = `</${name}>`;
  let from = 0;
  for (;;) {
    const at = xml.indexOf(open, from);
    if (at === -1) return undefined;
    const after = at + open.length;
    const c = xml.charCodeAt(after);
    if (c !== 62 /* > */ && !isXmlSpace(c)) {
      from = after;
      continue;
    }
    const gt = xml.indexOf('>', after);
    if (gt === -1) return undefined;
    const lt = xml.indexOf('<', gt + 1);
    if (lt === -1) return undefined;
    if (xml.startsWith(close, lt)) return decodeXmlText(xml.slice(gt + 1, lt));
    from = gt + 1;
  }
}

function isXmlSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * Every `<Data Name="n">value</Data>` (or `<Data Name="n"/>`) as name → value, scanned with `indexOf` as
 * {@link element} is; a value is the text up to the next `<`.
 */
function dataElements(xml: string): Map<string, string> {
  const data = new Map<string, string>();
  const open = '<Data Name=';
  let from = 0;
  for (;;) {
    const at = xml.indexOf(open, from);
    if (at === -1) return data;
    let i = at + open.length;
    const quote = xml[i];
    if (quote !== '"' && quote !== "'") {
      from = i;
      continue;
    }
    const endQuote = xml.indexOf(quote, i + 1);
    if (endQuote === -1) return data;
    const name = xml.slice(i + 1, endQuote);
    i = endQuote + 1;
    while (i < xml.length && isXmlSpace(xml.charCodeAt(i))) i++;
    if (xml.startsWith('/>', i)) {
      from = i + 2;
      continue;
    }
    if (xml[i] !== '>') {
      from = i;
      continue;
    }
    const lt = xml.indexOf('<', i + 1);
    if (lt === -1) return data;
    if (xml.startsWith('</Data>', lt)) {
      const value = decodeXmlText(xml.slice(i + 1, lt));
      if (value !== '' && value !== '-') data.set(name, value);
    }
    from = lt;
  }
}

/** The `SystemTime` attribute of `<TimeCreated …>`, quoted either way. */
function systemTime(xml: string): string | undefined {
  const at = xml.indexOf('<TimeCreated');
  if (at === -1) return undefined;
  const gt = xml.indexOf('>', at);
  const tag = xml.slice(at, gt === -1 ? xml.length : gt);
  const attr = tag.indexOf('SystemTime=');
  if (attr === -1) return undefined;
  const quote = tag[attr + 'SystemTime='.length];
  if (quote !== '"' && quote !== "'") return undefined;
  const valueStart = attr + 'SystemTime='.length + 1;
  const valueEnd = tag.indexOf(quote, valueStart);
  return valueEnd === -1 ? undefined : tag.slice(valueStart, valueEnd);
}

/** Parses the XML of one event, or returns why it cannot. */
export function parseSysmonXml(xml: string): SysmonEvent | { readonly error: string } {
  if (!xml.includes('</Event>'))
    return { error: 'truncated Sysmon XML: no </Event> (syslog line length limit?)' };
  const idText = element(xml, 'EventID');
  const eventId = idText !== undefined ? Number(idText.trim()) : NaN;
  if (!Number.isInteger(eventId)) return { error: 'Sysmon XML has no numeric <EventID>' };
  const data = dataElements(xml);
  const st = systemTime(xml);
  return {
    eventId,
    computer: element(xml, 'Computer'),
    recordId: element(xml, 'EventRecordID'),
    systemTime: st,
    data,
  };
}
