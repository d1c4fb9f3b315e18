import type { ApiCall } from './aws-api/server';
import type { BrokerMessage } from './broker';
import type { DeviceEvent } from './devices';
import type { LambdaLogLine } from './lambda-runner';

type Json = Record<string, unknown>;

/** Payload bytes shown in a line: at most this many, then how many there were. */
export const MAX_LOGGED_BYTES = 32;
/** No line is longer than this (plus the count of what was left out). */
export const MAX_LINE_CHARS = 1_000;

/**
 * The compact traffic log of `npm start`: one line per MQTT message, Lambda log line and
 * device event. Lines are built from an allowlist of fields, so nothing that looks like a
 * key (the `app_s_key` envelope, attributes, secrets) is ever printed.
 */
export class TrafficLog {
  constructor(
    private readonly write: (line: string) => void,
    private readonly verbose = false,
  ) {}

  info(text: string): void {
    this.line('local', text);
  }

  mqtt(message: BrokerMessage): void {
    const topic = message.topic;
    if (topic.startsWith('$aws/things/')) {
      if (this.verbose) this.line('shadow', topic.replace(/^\$aws\/things\//, ''));
      return;
    }
    const json = parse(message.payload);
    this.line(
      'mqtt',
      `${topic}  ${json ? summarize(topic, json) : `${message.payload.length} bytes`}`,
    );
  }

  lambda(log: LambdaLogLine): void {
    const json = parse(Buffer.from(log.line));
    if (!json) {
      this.line(log.functionName, log.line.slice(0, 200));
      return;
    }
    // Embedded metric format lines are for CloudWatch, not for people.
    if ('_aws' in json) return;
    const level = String(json['level'] ?? 'INFO');
    if (level === 'DEBUG' && !this.verbose) return;
    const details = errorDetails(json);
    this.line(
      log.functionName,
      `${level.padEnd(5)} ${String(json['message'] ?? '')}${details.length ? `  (${details.join('; ')})` : ''}`,
    );
  }

  device(event: DeviceEvent): void {
    switch (event.type) {
      case 'joined':
        this.line(
          'device',
          `${event.devEUI} joined: DevAddr ${event.devAddr}${event.e2e ? ', AppSKey wrapped with the KEK' : ''}`,
        );
        break;
      case 'uplink':
        this.line(
          'device',
          `${event.devEUI} sent f_cnt=${event.fCnt} f_port=${event.fPort} payload=${hex(event.payload)}`,
        );
        break;
      case 'downlink':
        this.line(
          'device',
          `${event.devEUI} received f_cnt=${event.downlink.fCnt} f_port=${event.downlink.fPort} payload=${hex(event.downlink.payload)}${event.downlink.confirmed ? ' (confirmed)' : ''}`,
        );
        break;
      case 'downlink_failed':
        this.line('device', `${event.devEUI} network refused a downlink: ${event.reason}`);
        break;
      case 'discovered':
        this.line(
          'device',
          `${event.devEUI} provisioned through the integration (${event.deviceID}): simulating it with the root key from the Join Server`,
        );
        break;
      case 'not_ready':
        this.line('device', `${event.devEUI} waiting: ${event.reason}`);
        break;
    }
  }

  api(call: ApiCall): void {
    if (!this.verbose && !(call.status >= 500)) return;
    this.line(
      'aws-api',
      `${call.operation} → ${call.status}${call.error ? ` ${call.error}: ${call.message ?? ''}` : ''}`,
    );
  }

  private line(tag: string, text: string): void {
    const time = new Date().toISOString().slice(11, 23);
    this.write(`${time} ${tag.padEnd(13)} ${boundLine(text)}`);
  }
}

/**
 * Why a function logged a rejection or failure: the error policy's `error_code` and
 * `reason` (lambda-kit), a `code`, and an `error`'s name and message.
 */
function errorDetails(json: Json): string[] {
  const error = json['error'] as Json | undefined;
  const code = json['error_code'] ?? json['code'];
  return [
    typeof code === 'string' ? `code=${code}` : '',
    typeof json['reason'] === 'string' ? `reason=${json['reason']}` : '',
    error && typeof error === 'object'
      ? `${String(error['name'] ?? 'Error')}: ${String(error['message'] ?? '')}`
      : '',
  ].filter(Boolean);
}

/** A line cut to {@link MAX_LINE_CHARS}, saying how much was left out. */
export function boundLine(text: string): string {
  if (text.length <= MAX_LINE_CHARS) return text;
  return `${text.slice(0, MAX_LINE_CHARS)}…(${text.length} characters)`;
}

/** One short description of a message of the integration, from known fields only. */
function summarize(topic: string, json: Json): string {
  if (topic.startsWith('$aws/events/thing/')) {
    return `${String(json['operation'] ?? '').toLowerCase()} ${String(json['thingName'] ?? '')} (type ${String(json['thingTypeName'] ?? 'none')})`;
  }
  if (topic === 'lorawan/downlink') {
    return `request for ${String(json['thingName'] ?? '?')}: f_port=${String(json['fPort'] ?? 1)} ${json['bytes'] !== undefined ? `bytes=${base64Hex(json['bytes'])}` : 'payload=<json>'}`;
  }
  if (Array.isArray(json['downlinks'])) {
    const downlinks = json['downlinks'] as Json[];
    return `${deviceOf(json)} ${downlinks.map((d) => `f_cnt=${String(d['f_cnt'] ?? '-')} f_port=${String(d['f_port'] ?? '-')}`).join(', ')}`;
  }
  if (topic.endsWith('/provisioning')) {
    const error = json['error'] as Json | undefined;
    return `${String(json['status'] ?? '')} ${String(json['deviceID'] ?? '')}${error ? ` ${String(error['name'] ?? '')}: ${String(error['message'] ?? '')}` : ''}`;
  }
  const uplink = json['uplink_message'] as Json | undefined;
  if (uplink) {
    const encrypted = uplink['app_s_key'] !== undefined ? ' (encrypted)' : '';
    const decoded =
      uplink['decoded_payload'] === undefined
        ? ''
        : ` decoded_payload=${JSON.stringify(uplink['decoded_payload'])}`;
    return `${deviceOf(json)} uplink f_cnt=${String(uplink['f_cnt'] ?? 0)} f_port=${String(uplink['f_port'] ?? 0)} frm_payload=${base64Hex(uplink['frm_payload'])}${encrypted}${decoded}`;
  }
  if (json['join_accept']) return `${deviceOf(json)} join accepted`;
  const failed = json['downlink_failed'] as Json | undefined;
  if (failed) {
    const error = (failed['error'] ?? {}) as Json;
    return `${deviceOf(json)} downlink failed: ${String(error['name'] ?? '?')} (${String(error['message_format'] ?? '')})`;
  }
  for (const event of ['downlink_queued', 'downlink_sent', 'downlink_ack', 'downlink_nack']) {
    const downlink = json[event] as Json | undefined;
    if (downlink)
      return `${deviceOf(json)} ${event.replace('_', ' ')} f_cnt=${String(downlink['f_cnt'] ?? '-')} f_port=${String(downlink['f_port'] ?? '-')}`;
  }
  return `${Object.keys(json).slice(0, 4).join(', ')}`;
}

function deviceOf(json: Json): string {
  const ids = json['end_device_ids'] as Json | undefined;
  return String(json['thingName'] ?? ids?.['device_id'] ?? '?');
}

function base64Hex(value: unknown): string {
  return typeof value === 'string' ? hex(Buffer.from(value, 'base64')) : '-';
}

/** Bytes in hex, at most {@link MAX_LOGGED_BYTES} of them, then how many there were. */
function hex(bytes: Uint8Array): string {
  if (bytes.length === 0) return '-';
  const shown = Buffer.from(bytes.subarray(0, MAX_LOGGED_BYTES)).toString('hex').toUpperCase();
  return bytes.length > MAX_LOGGED_BYTES ? `${shown}…(${bytes.length} bytes)` : shown;
}

function parse(payload: Buffer): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Json)
      : undefined;
  } catch {
    return undefined;
  }
}
