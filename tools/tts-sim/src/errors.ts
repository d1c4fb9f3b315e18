import { randomUUID } from 'node:crypto';

/** gRPC status codes that TTS errors carry, by the HTTP status grpc-gateway maps them to. */
const GRPC_CODES: Readonly<Record<number, number>> = {
  400: 3, // InvalidArgument (also FailedPrecondition 9, set explicitly)
  401: 16, // Unauthenticated
  403: 7, // PermissionDenied
  404: 5, // NotFound
  405: 12, // Unimplemented (grpc-gateway: method not allowed)
  409: 6, // AlreadyExists (also Aborted 10, set explicitly)
  429: 8, // ResourceExhausted
  500: 13, // Internal
  501: 12, // Unimplemented
  503: 14, // Unavailable
  504: 4, // DeadlineExceeded
};

/** The gRPC code for an HTTP status (Unknown, 2, for statuses grpc-gateway never produces). */
function grpcCodeOf(status: number): number {
  return GRPC_CODES[status] ?? 2;
}

/** What defines a TTS error: where it comes from, its name and its message template. */
export interface TtsErrorDefinition {
  readonly status: number;
  /** gRPC code; by default the one grpc-gateway maps `status` from. */
  readonly code?: number;
  /** TTS package that defines the error, e.g. `pkg/auth/rights`. */
  readonly namespace: string;
  /** snake_case error name, e.g. `no_application_rights`. */
  readonly name: string;
  /** Message with `{attribute}` placeholders, as TTS's `message_format`. */
  readonly messageFormat: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** TTS's JSON error body (a `google.rpc.Status` with one `ErrorDetails`). */
export interface TtsErrorBody {
  readonly code: number;
  readonly message: string;
  readonly details: readonly [
    {
      readonly '@type': 'type.googleapis.com/ttn.lorawan.v3.ErrorDetails';
      readonly namespace: string;
      readonly name: string;
      readonly message_format: string;
      readonly attributes?: Readonly<Record<string, unknown>>;
      readonly correlation_id: string;
      readonly code: number;
    },
  ];
}

/**
 * An error answer as TTS gives it. Thrown by route handlers and turned into the HTTP
 * status and body `{code, message: "error:<namespace>:<name> (<message>)", details}`.
 */
export class TtsError extends Error {
  override readonly name = 'TtsError';
  readonly status: number;
  readonly code: number;
  readonly namespace: string;
  readonly errorName: string;
  readonly messageFormat: string;
  readonly attributes: Readonly<Record<string, unknown>>;

  constructor(definition: TtsErrorDefinition) {
    const attributes = definition.attributes ?? {};
    super(
      `error:${definition.namespace}:${definition.name} (${formatMessage(definition.messageFormat, attributes)})`,
    );
    this.status = definition.status;
    this.code = definition.code ?? grpcCodeOf(definition.status);
    this.namespace = definition.namespace;
    this.errorName = definition.name;
    this.messageFormat = definition.messageFormat;
    this.attributes = attributes;
  }

  /** The JSON body TTS answers with; every answer gets a fresh correlation ID. */
  toBody(): TtsErrorBody {
    const hasAttributes = Object.keys(this.attributes).length > 0;
    return {
      code: this.code,
      message: this.message,
      details: [
        {
          '@type': 'type.googleapis.com/ttn.lorawan.v3.ErrorDetails',
          namespace: this.namespace,
          name: this.errorName,
          message_format: this.messageFormat,
          ...(hasAttributes ? { attributes: this.attributes } : {}),
          correlation_id: randomUUID().replaceAll('-', ''),
          code: this.code,
        },
      ],
    };
  }
}

function formatMessage(format: string, attributes: Readonly<Record<string, unknown>>): string {
  return format.replace(/\{([a-z0-9_]+)\}/g, (placeholder, key: string) =>
    key in attributes ? String(attributes[key]) : placeholder,
  );
}

/** `pkg/errors:validation`: a field has a value TTS's validators refuse. */
export function validationError(field: string, reason: string): TtsError {
  return new TtsError({
    status: 400,
    namespace: 'pkg/errors',
    name: 'validation',
    messageFormat: 'invalid `{field}`: {reason}',
    attributes: { field, reason },
  });
}

/**
 * A body field the API does not have. TTS itself skips unknown JSON fields; the simulator
 * refuses them so that a misspelt field fails in tests instead of being silently dropped.
 */
export function unknownFieldError(field: string): TtsError {
  return new TtsError({
    status: 400,
    namespace: 'pkg/jsonpb',
    name: 'unknown_field',
    messageFormat: 'unknown field `{field}`',
    attributes: { field },
  });
}

/** `pkg/rpcmiddleware/validator:field_mask_paths`: mask paths the message does not have. */
export function fieldMaskError(forbiddenPaths: readonly string[]): TtsError {
  return new TtsError({
    status: 400,
    namespace: 'pkg/rpcmiddleware/validator',
    name: 'field_mask_paths',
    messageFormat: 'forbidden path(s) in field mask',
    attributes: { forbidden_paths: forbiddenPaths },
  });
}

/** `pkg/redis:not_found`, as the JS, NS and AS registries answer for an unknown entity. */
export function registryNotFound(): TtsError {
  return new TtsError({
    status: 404,
    namespace: 'pkg/redis',
    name: 'not_found',
    messageFormat: 'entity not found',
  });
}
