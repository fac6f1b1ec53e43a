/**
 * What is read from an auditd event's records besides the line format itself: the destination of a SOCKADDR
 * record, id fields, and the command line of EXECVE records.
 */
import { ProcessAttr, ProvenanceAttr, addressFromBytes, type CanonicalAddress } from '@egressguard/schema';

import {
  proctitleString,
  untrustedString,
  type AuditRecordLine,
  type AuditValue,
} from '../../internal/audit-fields.ts';
import { baseName } from '../../internal/record-builder.ts';

/** The `egressguard.source.format` value of auditd records. */
export const AUDITD_SOURCE_FORMAT = 'auditd';

/**
 * The destination of a SOCKADDR `saddr` (decoded from hex): an IPv4 or IPv6 address and port, a reason it cannot be
 * read, or the counter of an address family that is skipped on purpose (AF_UNIX, AF_NETLINK, …).
 */
export function decodeSockaddr(
  bytes: Uint8Array,
):
  | { readonly destination: CanonicalAddress; readonly port: number }
  | { readonly error: string }
  | { readonly ignored: string } {
  // sa_family is in host byte order: little-endian on x86_64 and aarch64, the two arches read here.
  const family = bytes[0] | (bytes[1] << 8);
  if (family === 2) {
    if (bytes.length < 8) return { error: `SOCKADDR AF_INET address is ${bytes.length} bytes, needs 8` };
    return { port: (bytes[2] << 8) | bytes[3], destination: addressFromBytes(bytes, 4, 4) };
  }
  if (family === 10) {
    if (bytes.length < 24) return { error: `SOCKADDR AF_INET6 address is ${bytes.length} bytes, needs 24` };
    return { port: (bytes[2] << 8) | bytes[3], destination: addressFromBytes(bytes, 16, 8) };
  }
  return {
    ignored:
      family === 1
        ? 'ignored_af_unix'
        : family === 16
          ? 'ignored_af_netlink'
          : family === 0
            ? 'ignored_af_unspec'
            : 'ignored_af_other',
  };
}

/** An unsigned id or pid field; auditd writes 4294967295 ((uid_t)-1) for "unset", which is left out. */
export function intField(value: AuditValue | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.text)) return undefined;
  const n = Number(value.text);
  // Past 2^53 a number is no longer the id written (a corrupt field): left out rather than rounded.
  return n === 4294967295 || !Number.isSafeInteger(n) ? undefined : n;
}

/**
 * The command line from EXECVE records: `a0`…`a<argc-1>`, each quoted or hex; an argument longer than the kernel's
 * record limit is split as `aN_len=<bytes>` then `aN[0]=…`, `aN[1]=…` (possibly across several EXECVE records).
 */
export function execveCommandLine(records: readonly AuditRecordLine[]): string | undefined {
  if (records.length === 0) return undefined;
  const fields = new Map<string, AuditValue>();
  for (const r of records) for (const [k, v] of r.fields) if (!fields.has(k)) fields.set(k, v);
  const argc = Number(fields.get('argc')?.text);
  const args: string[] = [];
  const count = Number.isInteger(argc) && argc > 0 ? argc : Infinity;
  for (let i = 0; i < count; i++) {
    const whole = fields.get(`a${i}`);
    if (whole) {
      args.push(untrustedString(whole) ?? '');
      continue;
    }
    if (!fields.has(`a${i}_len`)) break;
    let piece = '';
    for (let k = 0; fields.has(`a${i}[${k}]`); k++) {
      piece += fields.get(`a${i}[${k}]`)!.text;
    }
    // Split arguments are hex-encoded as a whole when any part needed encoding; decode once joined.
    const joined = fields.get(`a${i}[0]`)?.quoted
      ? piece
      : (untrustedString({ text: piece, quoted: false }) ?? piece);
    args.push(joined);
  }
  const line = args.join(' ');
  return line === '' ? undefined : line;
}

/**
 * The process attributes of an event's SYSCALL record: pid, parent, executable (the kernel's ` (deleted)` suffix
 * removed and flagged), the command line (of the EXECVE records of an exec, else PROCTITLE), the effective uid and
 * its ENRICHED name, and the event's provenance.
 */
export function auditdProcessAttributes(
  syscall: AuditRecordLine,
  execve: readonly AuditRecordLine[] | undefined,
  proctitle: AuditRecordLine | undefined,
  serial: number,
): Record<string, string | number | boolean | undefined> {
  const f = syscall.fields;
  let exe = untrustedString(f.get('exe'));
  let deleted: boolean | undefined;
  if (exe?.endsWith(' (deleted)')) {
    exe = exe.slice(0, -' (deleted)'.length);
    deleted = true;
  }
  const comm = untrustedString(f.get('comm'));
  const commandLine =
    (execve ? execveCommandLine(execve) : undefined) ?? proctitleString(proctitle?.fields.get('proctitle'));
  const uid = intField(f.get('uid'));
  const euid = intField(f.get('euid'));
  const enriched = syscall.enriched;
  const owner = enriched.get('EUID') ?? (uid !== undefined && uid === euid ? enriched.get('UID') : undefined);
  return {
    [ProcessAttr.PID]: intField(f.get('pid')),
    [ProcessAttr.PARENT_PID]: intField(f.get('ppid')),
    [ProcessAttr.EXECUTABLE_PATH]: exe,
    [ProcessAttr.EXECUTABLE_NAME]: baseName(exe) ?? comm,
    [ProcessAttr.COMMAND_LINE]: commandLine,
    [ProcessAttr.USER_ID]: euid,
    [ProcessAttr.OWNER]: owner === '?' || owner === 'unset' ? undefined : owner,
    [ProcessAttr.EXECUTABLE_DELETED]: deleted,
    [ProvenanceAttr.SOURCE_FORMAT]: AUDITD_SOURCE_FORMAT,
    [ProvenanceAttr.SOURCE_ID]: String(serial),
  };
}
