/**
 * From what a schema read (TTS's snake_case fields, defaults applied) to the types the hand
 * parsers return: one mapping for both libraries, so that they differ in their schemas only.
 */
import type { DownlinkRequest } from '@tts-aws-iot/integration/traffic';
import type { KeyEnvelope } from '@tts-aws-iot/keywrap';
import type { ApplicationUp, ApplicationUplink, EndDeviceIds, RxMetadata } from '@tts-aws-iot/tts';
import { base64Bytes, type JsonObject } from './common';

export interface IdsFields {
  readonly device_id: string;
  readonly application_ids: { readonly application_id: string };
  readonly dev_eui?: string | undefined;
  readonly join_eui?: string | undefined;
  readonly dev_addr?: string | undefined;
}

export function toEndDeviceIds(ids: IdsFields): EndDeviceIds {
  return {
    deviceID: ids.device_id,
    applicationID: ids.application_ids.application_id,
    devEUI: ids.dev_eui,
    joinEUI: ids.join_eui,
    devAddr: ids.dev_addr,
  };
}

export interface RxMetadataFields {
  readonly gateway_ids: { readonly gateway_id: string; readonly eui?: string | undefined };
  readonly rssi?: number | undefined;
  readonly channel_rssi?: number | undefined;
  readonly snr?: number | undefined;
}

export function toRxMetadata(rx: RxMetadataFields): RxMetadata {
  return {
    gatewayID: rx.gateway_ids.gateway_id,
    gatewayEUI: rx.gateway_ids.eui,
    rssi: rx.rssi ?? rx.channel_rssi,
    snr: rx.snr,
  };
}

export interface UplinkFields {
  readonly session_key_id?: string | undefined;
  readonly f_port: number;
  readonly f_cnt: number;
  readonly frm_payload?: string | undefined;
  readonly decoded_payload?: JsonObject | undefined;
  readonly rx_metadata: readonly RxMetadata[];
  readonly app_s_key?: KeyEnvelope | undefined;
  readonly last_a_f_cnt_down?: number | undefined;
  readonly received_at?: string | undefined;
}

export function toUplink(up: UplinkFields): ApplicationUplink {
  return {
    sessionKeyID: up.session_key_id,
    fPort: up.f_port,
    fCnt: up.f_cnt,
    frmPayload: base64Bytes(up.frm_payload),
    decodedPayload: up.decoded_payload,
    rxMetadata: up.rx_metadata,
    appSKey: up.app_s_key,
    lastAFCntDown: up.last_a_f_cnt_down,
    receivedAt: up.received_at,
  };
}

export interface ApplicationUpFields {
  readonly end_device_ids: EndDeviceIds;
  readonly correlation_ids: readonly string[];
  readonly received_at?: string | undefined;
  readonly simulated: boolean;
  readonly uplink_message: ApplicationUplink;
}

/** The message as TTS sent it is kept beside what was read, as `parseApplicationUp` keeps it. */
export function toApplicationUp(raw: JsonObject, up: ApplicationUpFields): ApplicationUp {
  return {
    ids: up.end_device_ids,
    correlationIDs: up.correlation_ids,
    receivedAt: up.received_at,
    simulated: up.simulated,
    raw,
    type: 'uplink_message',
    uplink: up.uplink_message,
  };
}

export interface DownlinkRequestFields {
  readonly thingName: string;
  readonly bytes?: Uint8Array | null | undefined;
  readonly payload?: JsonObject | null | undefined;
  readonly fPort?: number | null | undefined;
  readonly confirmed: boolean;
  readonly highPriority: boolean;
  readonly operation: DownlinkRequest['operation'];
}

export function toDownlinkRequest(request: DownlinkRequestFields): DownlinkRequest {
  return {
    thingName: request.thingName,
    bytes: request.bytes ?? undefined,
    payload: request.payload ?? undefined,
    fPort: request.fPort ?? 1,
    fPortSet: request.fPort !== undefined && request.fPort !== null,
    operation: request.operation,
    confirmed: request.confirmed,
    highPriority: request.highPriority,
  };
}
