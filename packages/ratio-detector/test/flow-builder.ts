/**
 * Builds `egressguard.http_flow` records as the flow aggregator and the novelty filter write them, from a few
 * numbers, with internal and external counts kept consistent. Defaults: a new custom process with 40 external
 * connections in a 10-minute window, 400 B out and 150 B back each, every 15 s.
 */
import { makeRecord } from '@egressguard/core/testing';
import {
  EventName,
  FlowAttr,
  NoveltyAttr,
  NoveltyStatus,
  ProcessAttr,
  type PipelineRecord,
  type RecordAttributes,
  type RecordResource,
} from '@egressguard/schema';

export const T0 = 1_764_460_800_000;
export const WINDOW_MS = 600_000;

export interface FlowSpec {
  key?: string;
  host?: string;
  resource?: RecordResource;
  windowStart?: number;
  windowMs?: number;
  revision?: number;
  overflow?: boolean;
  external?: number;
  internal?: number;
  /** External failed connections (failed attempts carry zero bytes, as the kernel counters report them). */
  failed?: number;
  open?: number;
  /** External connections with byte counts (default: all external). */
  withBytes?: number;
  /** External bytes sent / received (default 400 B / 150 B per connection with bytes that did not fail). */
  sent?: number;
  received?: number;
  cv?: number | null;
  meanMs?: number | null;
  spanMs?: number;
  destinations?: number;
  status?: string | null;
  custom?: boolean;
  reasons?: string[];
  path?: string;
  /** Raw attributes set last; `undefined` removes one. */
  extra?: RecordAttributes;
}

/** A flow record from a spec. */
export function flow(spec: FlowSpec = {}): PipelineRecord {
  const external = spec.external ?? 40;
  const internal = spec.internal ?? 0;
  const failed = spec.failed ?? 0;
  const open = spec.open ?? 0;
  const withBytes = spec.withBytes ?? external;
  const answered = Math.max(0, Math.min(withBytes, external - failed));
  const sent = spec.sent ?? answered * 400;
  const received = spec.received ?? answered * 150;
  const start = spec.windowStart ?? T0;
  const windowMs = spec.windowMs ?? WINDOW_MS;
  const path = spec.path ?? '/tmp/.x/kworkerd';
  const key = spec.key ?? `${spec.host ?? 'test-host'}|${path}`;
  // Internal connections: to a local proxy, completed, with bytes (5 KB back each).
  const attrs: RecordAttributes = {
    [FlowAttr.KEY]: key,
    [FlowAttr.WINDOW_START]: start,
    [FlowAttr.WINDOW_END]: start + windowMs,
    [FlowAttr.REVISION]: spec.revision ?? 0,
    [FlowAttr.CONNECTIONS]: external + internal,
    [FlowAttr.COMPLETED]: external - failed - open + internal,
    [FlowAttr.FAILED]: failed,
    [FlowAttr.OPEN]: open,
    [FlowAttr.UNKNOWN]: 0,
    [FlowAttr.INFERRED]: external + internal,
    [FlowAttr.HTTP_EXCHANGES]: 0,
    [FlowAttr.WITHOUT_BYTES]: external - withBytes,
    [FlowAttr.INTERNAL]: internal,
    [FlowAttr.EXTERNAL]: external,
    [FlowAttr.EXTERNAL_COMPLETED]: external - failed - open,
    [FlowAttr.EXTERNAL_FAILED]: failed,
    [FlowAttr.EXTERNAL_WITH_BYTES]: withBytes,
    [FlowAttr.BYTES_KIND]: 'acked',
    [FlowAttr.DESTINATIONS]: spec.destinations ?? 1,
    [FlowAttr.FIRST_SEEN]: start + 1000,
    [FlowAttr.LAST_SEEN]: start + 1000 + (spec.spanMs ?? windowMs - 15_000),
    [ProcessAttr.EXECUTABLE_PATH]: path,
    [ProcessAttr.EXECUTABLE_NAME]: path.slice(path.lastIndexOf('/') + 1),
    [ProcessAttr.PID]: 4242,
    [NoveltyAttr.IDENTITY]: path,
  };
  if (withBytes > 0 || internal > 0) {
    attrs[FlowAttr.BYTES_SENT] = sent + internal * 500;
    attrs[FlowAttr.BYTES_RECEIVED] = received + internal * 5000;
    if (sent + internal * 500 > 0)
      attrs[FlowAttr.RATIO_RECEIVED_SENT] = (received + internal * 5000) / (sent + internal * 500);
  }
  if (withBytes > 0) {
    attrs[FlowAttr.EXTERNAL_BYTES_SENT] = sent;
    attrs[FlowAttr.EXTERNAL_BYTES_RECEIVED] = received;
  }
  if (spec.cv !== null) attrs[FlowAttr.INTERVAL_CV] = spec.cv ?? 0.05;
  if (spec.meanMs !== null) attrs[FlowAttr.INTERVAL_MEAN_MS] = spec.meanMs ?? 15_000;
  if (spec.overflow) attrs[FlowAttr.OVERFLOW] = true;
  const status = spec.status === undefined ? NoveltyStatus.NEW : spec.status;
  if (status !== null) attrs[NoveltyAttr.STATUS] = status;
  if (spec.custom ?? true) {
    attrs[NoveltyAttr.CUSTOM] = true;
    attrs[NoveltyAttr.CUSTOM_REASONS] = spec.reasons ?? ['no_package_owner', 'hidden_directory'];
  } else attrs[NoveltyAttr.CUSTOM] = false;
  for (const [k, v] of Object.entries(spec.extra ?? {})) {
    if (v === undefined) delete attrs[k];
    else attrs[k] = v;
  }
  return makeRecord(EventName.HTTP_FLOW, attrs, {
    timeMs: start,
    ...(spec.resource ? { resource: spec.resource } : { host: spec.host ?? 'test-host' }),
  });
}
