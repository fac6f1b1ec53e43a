/**
 * The OTLP logs messages as a protobufjs JSON descriptor, written from the field numbers of opentelemetry-proto
 * (`opentelemetry/proto/logs/v1/logs.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`,
 * `collector/logs/v1/logs_service.proto`) and `google/rpc/status.proto`.
 *
 * The fast decoder (`proto-decoder.ts`) and the response writer (`responses.ts`) read the field numbers from
 * {@link FIELD}, so the two stay in one place; the descriptor itself serves the reflection decoder that tests and the
 * benchmark compare the fast decoder with.
 *
 * Profiling-only fields (`AnyValue.string_value_strindex = 8`, `KeyValue.key_strindex = 3`) and `Resource.entity_refs`
 * are listed so that reflection decoding accepts them; the fast decoder skips them like any unknown field, because a
 * string-table index means nothing outside a profiles payload.
 */

/** Field numbers of the OTLP messages the decoders read and the responses the receiver writes. */
export const FIELD = {
  ExportLogsServiceRequest: { resource_logs: 1 },
  ResourceLogs: { resource: 1, scope_logs: 2, schema_url: 3 },
  ScopeLogs: { scope: 1, log_records: 2, schema_url: 3 },
  LogRecord: {
    time_unix_nano: 1,
    severity_number: 2,
    severity_text: 3,
    body: 5,
    attributes: 6,
    dropped_attributes_count: 7,
    flags: 8,
    trace_id: 9,
    span_id: 10,
    observed_time_unix_nano: 11,
    event_name: 12,
  },
  Resource: { attributes: 1, dropped_attributes_count: 2, entity_refs: 3 },
  InstrumentationScope: { name: 1, version: 2, attributes: 3, dropped_attributes_count: 4 },
  AnyValue: {
    string_value: 1,
    bool_value: 2,
    int_value: 3,
    double_value: 4,
    array_value: 5,
    kvlist_value: 6,
    bytes_value: 7,
    string_value_strindex: 8,
  },
  ArrayValue: { values: 1 },
  KeyValueList: { values: 1 },
  KeyValue: { key: 1, value: 2, key_strindex: 3 },
  ExportLogsServiceResponse: { partial_success: 1 },
  ExportLogsPartialSuccess: { rejected_log_records: 1, error_message: 2 },
  Status: { code: 1, message: 2, details: 3 },
} as const;

/** Protobuf wire types. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

const F = FIELD;

/** The protobufjs JSON descriptor (`Root.fromJSON`) of the messages above. */
export const OTLP_LOGS_DESCRIPTOR = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      oneofs: {
                        value: {
                          oneof: [
                            'stringValue',
                            'boolValue',
                            'intValue',
                            'doubleValue',
                            'arrayValue',
                            'kvlistValue',
                            'bytesValue',
                            'stringValueStrindex',
                          ],
                        },
                      },
                      fields: {
                        stringValue: { type: 'string', id: F.AnyValue.string_value },
                        boolValue: { type: 'bool', id: F.AnyValue.bool_value },
                        intValue: { type: 'int64', id: F.AnyValue.int_value },
                        doubleValue: { type: 'double', id: F.AnyValue.double_value },
                        arrayValue: { type: 'ArrayValue', id: F.AnyValue.array_value },
                        kvlistValue: { type: 'KeyValueList', id: F.AnyValue.kvlist_value },
                        bytesValue: { type: 'bytes', id: F.AnyValue.bytes_value },
                        stringValueStrindex: { type: 'int32', id: F.AnyValue.string_value_strindex },
                      },
                    },
                    ArrayValue: {
                      fields: { values: { rule: 'repeated', type: 'AnyValue', id: F.ArrayValue.values } },
                    },
                    KeyValueList: {
                      fields: { values: { rule: 'repeated', type: 'KeyValue', id: F.KeyValueList.values } },
                    },
                    KeyValue: {
                      fields: {
                        key: { type: 'string', id: F.KeyValue.key },
                        value: { type: 'AnyValue', id: F.KeyValue.value },
                        keyStrindex: { type: 'int32', id: F.KeyValue.key_strindex },
                      },
                    },
                    InstrumentationScope: {
                      fields: {
                        name: { type: 'string', id: F.InstrumentationScope.name },
                        version: { type: 'string', id: F.InstrumentationScope.version },
                        attributes: {
                          rule: 'repeated',
                          type: 'KeyValue',
                          id: F.InstrumentationScope.attributes,
                        },
                        droppedAttributesCount: {
                          type: 'uint32',
                          id: F.InstrumentationScope.dropped_attributes_count,
                        },
                      },
                    },
                    EntityRef: {
                      fields: {
                        schemaUrl: { type: 'string', id: 1 },
                        type: { type: 'string', id: 2 },
                        idKeys: { rule: 'repeated', type: 'string', id: 3 },
                        descriptionKeys: { rule: 'repeated', type: 'string', id: 4 },
                      },
                    },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    Resource: {
                      fields: {
                        attributes: {
                          rule: 'repeated',
                          type: 'opentelemetry.proto.common.v1.KeyValue',
                          id: F.Resource.attributes,
                        },
                        droppedAttributesCount: { type: 'uint32', id: F.Resource.dropped_attributes_count },
                        entityRefs: {
                          rule: 'repeated',
                          type: 'opentelemetry.proto.common.v1.EntityRef',
                          id: F.Resource.entity_refs,
                        },
                      },
                    },
                  },
                },
              },
            },
            logs: {
              nested: {
                v1: {
                  nested: {
                    ResourceLogs: {
                      fields: {
                        resource: {
                          type: 'opentelemetry.proto.resource.v1.Resource',
                          id: F.ResourceLogs.resource,
                        },
                        scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: F.ResourceLogs.scope_logs },
                        schemaUrl: { type: 'string', id: F.ResourceLogs.schema_url },
                      },
                    },
                    ScopeLogs: {
                      fields: {
                        scope: {
                          type: 'opentelemetry.proto.common.v1.InstrumentationScope',
                          id: F.ScopeLogs.scope,
                        },
                        logRecords: { rule: 'repeated', type: 'LogRecord', id: F.ScopeLogs.log_records },
                        schemaUrl: { type: 'string', id: F.ScopeLogs.schema_url },
                      },
                    },
                    LogRecord: {
                      fields: {
                        timeUnixNano: { type: 'fixed64', id: F.LogRecord.time_unix_nano },
                        observedTimeUnixNano: { type: 'fixed64', id: F.LogRecord.observed_time_unix_nano },
                        severityNumber: { type: 'int32', id: F.LogRecord.severity_number },
                        severityText: { type: 'string', id: F.LogRecord.severity_text },
                        body: { type: 'opentelemetry.proto.common.v1.AnyValue', id: F.LogRecord.body },
                        attributes: {
                          rule: 'repeated',
                          type: 'opentelemetry.proto.common.v1.KeyValue',
                          id: F.LogRecord.attributes,
                        },
                        droppedAttributesCount: { type: 'uint32', id: F.LogRecord.dropped_attributes_count },
                        flags: { type: 'fixed32', id: F.LogRecord.flags },
                        traceId: { type: 'bytes', id: F.LogRecord.trace_id },
                        spanId: { type: 'bytes', id: F.LogRecord.span_id },
                        eventName: { type: 'string', id: F.LogRecord.event_name },
                      },
                    },
                  },
                },
              },
            },
            collector: {
              nested: {
                logs: {
                  nested: {
                    v1: {
                      nested: {
                        ExportLogsServiceRequest: {
                          fields: {
                            resourceLogs: {
                              rule: 'repeated',
                              type: 'opentelemetry.proto.logs.v1.ResourceLogs',
                              id: F.ExportLogsServiceRequest.resource_logs,
                            },
                          },
                        },
                        ExportLogsServiceResponse: {
                          fields: {
                            partialSuccess: {
                              type: 'ExportLogsPartialSuccess',
                              id: F.ExportLogsServiceResponse.partial_success,
                            },
                          },
                        },
                        ExportLogsPartialSuccess: {
                          fields: {
                            rejectedLogRecords: {
                              type: 'int64',
                              id: F.ExportLogsPartialSuccess.rejected_log_records,
                            },
                            errorMessage: { type: 'string', id: F.ExportLogsPartialSuccess.error_message },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: F.Status.code },
                message: { type: 'string', id: F.Status.message },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: F.Status.details },
              },
            },
          },
        },
      },
    },
  },
} as const;
