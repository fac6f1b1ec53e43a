/**
 * `@egressguard/normalize`: sensor parsers (auditd, Sysmon for Linux, Tetragon, Falco, Zeek and the other formats
 * of the registry) into the egressguard record schema, the `normalize` processor, the file reader behind
 * `replay --format`.
 */
import { defineProcessor } from '@egressguard/core';

import { normalizeConfig, type NormalizeConfig } from './config.ts';
import { normalizeState } from './internal/state.ts';
import { NormalizeProcessor, normalizeDescription } from './processor.ts';

export type {
  ParseError,
  ParseOutput,
  ParserOptions,
  ParserSnapshot,
  SensorFormat,
  SensorParser,
} from './format.ts';
export {
  SENSOR_FORMATS,
  SENSOR_FORMAT_LIST,
  SENSOR_FORMAT_NAMES,
  getFormat,
  recognizeFormat,
} from './formats/index.ts';
export { AUDITD_SOURCE_FORMAT, auditdFormat, createAuditdFormat } from './formats/auditd.ts';
export type { AuditdFormatOptions } from './formats/auditd.ts';
export { SYSMON_SOURCE_FORMAT, sysmonFormat } from './formats/sysmon.ts';
export { FALCO_SOURCE_FORMAT, falcoFormat } from './formats/falco.ts';
export { TETRAGON_SOURCE_FORMAT, createTetragonFormat, tetragonFormat } from './formats/tetragon.ts';
export type { TetragonFormatOptions } from './formats/tetragon.ts';
export { createZeekFormat, zeekFormat } from './formats/zeek.ts';
export type { ZeekFormatOptions } from './formats/zeek.ts';
export { auditbeatFormat } from './formats/auditbeat.ts';
export { createTcplifeFormat, tcplifeFormat } from './formats/tcplife.ts';
export type { TcplifeFormatOptions } from './formats/tcplife.ts';
export { createSsFormat, ssFormat } from './formats/ss.ts';
export type { SsFormatOptions } from './formats/ss.ts';
export { READER_DEFAULTS, readSensorFile } from './reader.ts';
export type {
  ReadSensorFileOptions,
  SensorFileBatch,
  SensorFileReader,
  SensorFileSummary,
} from './reader.ts';
export { normalizeConfig } from './config.ts';
export type { NormalizeConfig } from './config.ts';

/** Creates normalize processors (`normalize` in configuration). */
export const normalizeFactory = defineProcessor<NormalizeConfig>({
  ...normalizeDescription,
  config: normalizeConfig,
  state: normalizeState,
  create: (config, context) => new NormalizeProcessor(config, context),
});
