import { isJsonObject } from '@tts-aws-iot/input';
import { registryNotFound, TtsError, validationError } from './errors';
import {
  applyFieldMask,
  getAt,
  selectFields,
  setAt,
  type JsonObject,
  type JsonPath,
} from './fields';
import {
  CLAIM,
  CLAIM_INFO,
  CLAIM_TARGET,
  DEVICE_IDS,
  IS_CREATE_DEVICE,
  IS_UPDATE_DEVICE,
  QUEUE_DOWNLINKS,
  SET_DEVICE,
  SET_KEK_SETTINGS,
  SET_LINK,
  SET_PUBSUB,
} from './requests';
import { deviceKey, repositoryKey, type Component, type SimState } from './state';
import type { HttpMethod } from './swagger';
import { aes128Key, awsIotProvider, checkKekSettings, readAt } from './validation';

/** The application rights TTS checks on the routes the simulator serves. */
const RIGHTS = {
  devicesRead: 'RIGHT_APPLICATION_DEVICES_READ',
  devicesReadKeys: 'RIGHT_APPLICATION_DEVICES_READ_KEYS',
  devicesWrite: 'RIGHT_APPLICATION_DEVICES_WRITE',
  devicesWriteKeys: 'RIGHT_APPLICATION_DEVICES_WRITE_KEYS',
  settingsBasic: 'RIGHT_APPLICATION_SETTINGS_BASIC',
  trafficDownWrite: 'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE',
  trafficRead: 'RIGHT_APPLICATION_TRAFFIC_READ',
} as const;

/** What a route handler gets: the request, checked against the swagger, and the simulator. */
export interface RouteContext {
  /** Path parameters by the last part of their swagger name (`application_id`, `device_id`, …). */
  readonly params: Readonly<Record<string, string>>;
  /** The body, field names checked and in snake_case; `{}` without a body. */
  readonly body: JsonObject;
  /** The field mask (of the body, or of the `field_mask` query) as JSON paths. */
  readonly mask: readonly JsonPath[];
  readonly state: SimState;
  readonly claimableJoinEUIs: ReadonlySet<string>;
  /** The caller's identity (for `auth_info`). */
  readonly caller: {
    readonly keyID: string;
    readonly rights: readonly string[];
    readonly applicationID?: string;
  };
  /** @throws TtsError 403 unless the caller has `rights` on the application */
  authorize(applicationID: string, rights: readonly string[]): void;
  /** The current time as TTS writes timestamps. */
  now(): string;
}

/** One route of the simulator: a swagger operation and what it does. */
export interface Route {
  readonly method: HttpMethod;
  /** The path template exactly as in the swagger (without `/api/v3`). */
  readonly path: string;
  /** The body field that a body `field_mask` refers to (`end_device`, `pubsub`, …). */
  readonly message?: string;
  handle(context: RouteContext): JsonObject;
}

const DEVICE_PATHS = {
  isCreate: '/applications/{end_device.ids.application_ids.application_id}/devices',
  isGet:
    '/applications/{end_device_ids.application_ids.application_id}/devices/{end_device_ids.device_id}',
  isUpdate:
    '/applications/{end_device.ids.application_ids.application_id}/devices/{end_device.ids.device_id}',
  isDelete: '/applications/{application_ids.application_id}/devices/{device_id}',
} as const;

/** What each component requires of a device it registers for the first time. */
const REQUIRED_ON_CREATE: Readonly<Record<Exclude<Component, 'is'>, readonly JsonPath[]>> = {
  js: [
    ['ids', 'join_eui'],
    ['ids', 'dev_eui'],
  ],
  ns: [['lorawan_version'], ['lorawan_phy_version'], ['frequency_plan_id']],
  as: [],
};

/** Every route the simulator serves. A test holds each against the swagger. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/auth_info', handle: authInfo },

  { method: 'POST', path: DEVICE_PATHS.isCreate, handle: createIdentityServerDevice },
  { method: 'GET', path: DEVICE_PATHS.isGet, handle: (context) => getDevice(context, 'is') },
  {
    method: 'PUT',
    path: DEVICE_PATHS.isUpdate,
    message: 'end_device',
    handle: updateIdentityServerDevice,
  },
  {
    method: 'DELETE',
    path: DEVICE_PATHS.isDelete,
    handle: (context) => deleteDevice(context, 'is'),
  },

  ...(['js', 'ns', 'as'] as const).flatMap((component): Route[] => [
    {
      method: 'PUT',
      path: `/${component}/applications/{end_device.ids.application_ids.application_id}/devices/{end_device.ids.device_id}`,
      message: 'end_device',
      handle: (context) => setDevice(context, component),
    },
    {
      method: 'GET',
      path: `/${component}/applications/{end_device_ids.application_ids.application_id}/devices/{end_device_ids.device_id}`,
      handle: (context) => getDevice(context, component),
    },
    {
      method: 'DELETE',
      path: `/${component}/applications/{application_ids.application_id}/devices/{device_id}`,
      handle: (context) => deleteDevice(context, component),
    },
  ]),

  { method: 'POST', path: '/edcs/claim', handle: claim },
  { method: 'POST', path: '/edcs/claim/info', handle: claimInfo },
  {
    method: 'DELETE',
    path: '/edcs/claim/{application_ids.application_id}/devices/{device_id}',
    handle: unclaim,
  },

  {
    method: 'PUT',
    path: '/as/pubsub/{pubsub.ids.application_ids.application_id}/{pubsub.ids.pub_sub_id}',
    message: 'pubsub',
    handle: setPubSub,
  },
  {
    method: 'GET',
    path: '/as/pubsub/{ids.application_ids.application_id}/{ids.pub_sub_id}',
    handle: getPubSub,
  },
  { method: 'GET', path: '/as/pubsub/{application_ids.application_id}', handle: listPubSubs },
  {
    method: 'DELETE',
    path: '/as/pubsub/{application_ids.application_id}/{pub_sub_id}',
    handle: deletePubSub,
  },

  {
    method: 'POST',
    path: '/js/applications/{application_ids.application_id}/settings',
    message: 'settings',
    handle: setKekSettings,
  },
  {
    method: 'GET',
    path: '/js/applications/{application_ids.application_id}/settings',
    handle: getKekSettings,
  },
  {
    method: 'DELETE',
    path: '/js/applications/{application_ids.application_id}/settings',
    handle: deleteKekSettings,
  },

  {
    method: 'PUT',
    path: '/as/applications/{application_ids.application_id}/link',
    message: 'link',
    handle: setLink,
  },
  {
    method: 'GET',
    path: '/as/applications/{application_ids.application_id}/link',
    handle: getLink,
  },
  { method: 'DELETE', path: '/as/applications/{application_id}/link', handle: deleteLink },

  {
    method: 'POST',
    path: '/as/applications/{end_device_ids.application_ids.application_id}/devices/{end_device_ids.device_id}/down/push',
    handle: (context) => queueDownlinks(context, 'push'),
  },
  {
    method: 'POST',
    path: '/as/applications/{end_device_ids.application_ids.application_id}/devices/{end_device_ids.device_id}/down/replace',
    handle: (context) => queueDownlinks(context, 'replace'),
  },
  {
    method: 'GET',
    path: '/as/applications/{application_ids.application_id}/devices/{device_id}/down',
    handle: listDownlinks,
  },

  ...(['uplink/decoder', 'downlink/encoder'] as const).map((direction): Route => ({
    method: 'GET',
    path: `/dr/applications/{application_ids.application_id}/brands/{version_ids.brand_id}/models/{version_ids.model_id}/{version_ids.firmware_version}/{version_ids.band_id}/formatters/${direction}`,
    handle: (context) => getRepositoryFormatter(context, direction),
  })),
];

function authInfo({ caller }: RouteContext): JsonObject {
  return {
    api_key: {
      api_key: { id: caller.keyID, rights: [...caller.rights] },
      ...(caller.applicationID === undefined
        ? {}
        : { entity_ids: { application_ids: { application_id: caller.applicationID } } }),
    },
  };
}

// --- End devices --------------------------------------------------------------------------

function createIdentityServerDevice(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.devicesWrite]);
  const device = readAt(IS_CREATE_DEVICE, context.body, '').end_device;
  const ids = deviceIDs(applicationID, device.ids);
  const registry = context.state.devices.is;
  const key = deviceKey(applicationID, ids.device_id);
  if (registry.has(key)) {
    throw new TtsError({
      status: 409,
      namespace: 'pkg/identityserver/store',
      name: 'id_taken',
      messageFormat: 'ID already taken, choose a different one and try again',
    });
  }
  for (const other of registry.values()) {
    const otherIDs = (path: JsonPath) => getAt(other, ['ids', ...path]);
    if (
      ids.join_eui !== undefined &&
      otherIDs(['join_eui']) === ids.join_eui &&
      otherIDs(['dev_eui']) === ids.dev_eui
    ) {
      throw new TtsError({
        status: 409,
        namespace: 'pkg/identityserver',
        name: 'end_device_euis_taken',
        messageFormat:
          'an end device with JoinEUI `{join_eui}` and DevEUI `{dev_eui}` is already registered as `{device_id}` in application `{application_id}`',
        attributes: {
          join_eui: otherIDs(['join_eui']),
          dev_eui: otherIDs(['dev_eui']),
          device_id: otherIDs(['device_id']),
          application_id: otherIDs(['application_ids', 'application_id']),
        },
      });
    }
  }
  const now = context.now();
  const stored = { ...structuredClone(device), ids, created_at: now, updated_at: now };
  registry.set(key, stored);
  return structuredClone(stored);
}

function updateIdentityServerDevice(context: RouteContext): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  context.authorize(applicationID, [RIGHTS.devicesWrite]);
  const stored = context.state.devices.is.get(deviceKey(applicationID, deviceID));
  if (stored === undefined) throw deviceNotFound('is', applicationID, deviceID);
  const body = readAt(IS_UPDATE_DEVICE, context.body, '').end_device;
  const source = { ...body, ids: stored['ids'] };
  applyFieldMask(stored, source, context.mask);
  stored['updated_at'] = context.now();
  return selectFields(stored, context.mask);
}

function setDevice(context: RouteContext, component: Exclude<Component, 'is'>): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  const touchesKeys = context.mask.some((path) => path[0] === 'root_keys');
  context.authorize(
    applicationID,
    touchesKeys ? [RIGHTS.devicesWrite, RIGHTS.devicesWriteKeys] : [RIGHTS.devicesWrite],
  );
  const device = readAt(SET_DEVICE, context.body, '').end_device;
  const ids = deviceIDs(
    applicationID,
    readAt(DEVICE_IDS, { ...device.ids, device_id: deviceID }, 'end_device.ids'),
  );
  const registry = context.state.devices[component];
  const key = deviceKey(applicationID, deviceID);
  const existing = registry.get(key);
  const now = context.now();
  // Creating takes the identifiers whatever the mask, as TTS's registries do.
  const updated = existing === undefined ? { ids, created_at: now } : structuredClone(existing);
  applyFieldMask(updated, { ...device, ids }, context.mask);
  if (existing === undefined) {
    for (const path of REQUIRED_ON_CREATE[component]) {
      if (getAt(updated, path) === undefined) {
        throw validationError(
          `end_device.${path.join('.')}`,
          `value is required to create the device on the ${component.toUpperCase()}`,
        );
      }
    }
  }
  for (const rootKey of ['app_key', 'nwk_key']) {
    const path = ['root_keys', rootKey, 'key'];
    const hex = getAt(updated, path);
    if (hex !== undefined)
      setAt(updated, path, readAt(aes128Key, hex, `end_device.${path.join('.')}`));
  }
  updated['updated_at'] = now;
  registry.set(key, updated);
  return selectFields(updated, context.mask);
}

function getDevice(context: RouteContext, component: Component): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  const readsKeys = context.mask.some(
    (path) => path[0] === 'root_keys' || path[0] === 'session' || path[0] === 'pending_session',
  );
  context.authorize(
    applicationID,
    readsKeys ? [RIGHTS.devicesRead, RIGHTS.devicesReadKeys] : [RIGHTS.devicesRead],
  );
  const stored = context.state.devices[component].get(deviceKey(applicationID, deviceID));
  if (stored === undefined) throw deviceNotFound(component, applicationID, deviceID);
  return selectFields(stored, context.mask);
}

function deleteDevice(context: RouteContext, component: Component): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  context.authorize(applicationID, [RIGHTS.devicesWrite]);
  const key = deviceKey(applicationID, deviceID);
  if (!context.state.devices[component].delete(key)) {
    throw deviceNotFound(component, applicationID, deviceID);
  }
  if (component === 'as') context.state.downlinkQueues.delete(key);
  return {};
}

function deviceNotFound(component: Component, applicationID: string, deviceID: string): TtsError {
  if (component !== 'is') return registryNotFound();
  return new TtsError({
    status: 404,
    namespace: 'pkg/identityserver/store',
    name: 'not_found',
    messageFormat: 'end device `{application_id}.{device_id}` not found',
    attributes: { application_id: applicationID, device_id: deviceID },
  });
}

/** The device's identifiers as stored: the path's application, the checked IDs and EUIs. */
function deviceIDs(
  applicationID: string,
  ids: { device_id: string; dev_eui?: string | undefined; join_eui?: string | undefined },
) {
  return {
    device_id: ids.device_id,
    application_ids: { application_id: applicationID },
    ...(ids.dev_eui === undefined ? {} : { dev_eui: ids.dev_eui }),
    ...(ids.join_eui === undefined ? {} : { join_eui: ids.join_eui }),
  };
}

// --- Claiming -----------------------------------------------------------------------------

function claim(context: RouteContext): JsonObject {
  const target = readAt(CLAIM_TARGET, context.body, '').target_application_ids;
  const applicationID = target.application_id;
  context.authorize(applicationID, [RIGHTS.devicesWrite]);
  const request = readAt(CLAIM, context.body, '');
  const {
    join_eui: joinEUI,
    dev_eui: devEUI,
    authentication_code: authenticationCode,
  } = request.authenticated_identifiers;
  const deviceID = request.target_device_id;
  requireClaimable(context, joinEUI);
  context.state.claims.set(deviceKey(applicationID, deviceID), {
    applicationID,
    deviceID,
    devEUI,
    joinEUI,
    authenticationCode,
  });
  return {
    device_id: deviceID,
    application_ids: { application_id: applicationID },
    dev_eui: devEUI,
    join_eui: joinEUI,
  };
}

function claimInfo(context: RouteContext): JsonObject {
  const joinEUI = readAt(CLAIM_INFO, context.body, '').join_eui;
  return {
    join_eui: joinEUI,
    ...(context.claimableJoinEUIs.has(joinEUI) ? { supports_claiming: true } : {}),
  };
}

function unclaim(context: RouteContext): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  context.authorize(applicationID, [RIGHTS.devicesWrite]);
  const key = deviceKey(applicationID, deviceID);
  // The Device Claiming Server finds the JoinEUI in the Identity Server's registration.
  const device = context.state.devices.is.get(key);
  if (device === undefined) {
    throw new TtsError({
      status: 404,
      namespace: 'pkg/deviceclaimingserver',
      name: 'device_not_found',
      messageFormat: 'device not found',
    });
  }
  const joinEUI = getAt(device, ['ids', 'join_eui']);
  if (typeof joinEUI !== 'string' || getAt(device, ['ids', 'dev_eui']) === undefined) {
    throw new TtsError({
      status: 400,
      code: 9,
      namespace: 'pkg/deviceclaimingserver',
      name: 'no_eui',
      messageFormat: 'DevEUI/JoinEUI not set for device',
    });
  }
  requireClaimable(context, joinEUI);
  if (!context.state.claims.delete(key)) {
    throw new TtsError({
      status: 404,
      namespace: 'pkg/deviceclaimingserver/enddevices',
      name: 'not_found',
      messageFormat: 'no claim for end device `{device_id}`',
      attributes: { device_id: deviceID },
    });
  }
  return {};
}

function requireClaimable(context: RouteContext, joinEUI: string): void {
  if (!context.claimableJoinEUIs.has(joinEUI)) {
    throw new TtsError({
      status: 409,
      code: 10,
      namespace: 'pkg/deviceclaimingserver',
      name: 'claiming_not_supported',
      messageFormat: 'claiming not supported for JoinEUI `{eui}`',
      attributes: { eui: joinEUI },
    });
  }
}

// --- Pub/sub ------------------------------------------------------------------------------

function setPubSub(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  const pubSubID = param(context, 'pub_sub_id');
  context.authorize(applicationID, [
    RIGHTS.settingsBasic,
    RIGHTS.trafficRead,
    RIGHTS.trafficDownWrite,
  ]);
  const key = deviceKey(applicationID, pubSubID);
  const existing = context.state.pubsubs.get(key);
  const now = context.now();
  const updated = existing === undefined ? { created_at: now } : structuredClone(existing);
  applyFieldMask(updated, readAt(SET_PUBSUB, context.body, '').pubsub, context.mask);
  updated['ids'] = { application_ids: { application_id: applicationID }, pub_sub_id: pubSubID };
  const providers = ['nats', 'mqtt', 'aws_iot'].filter(
    (provider) => updated[provider] !== undefined,
  );
  if (providers.length !== 1) {
    throw validationError('pubsub.provider', 'exactly one of nats, mqtt and aws_iot is required');
  }
  if (isJsonObject(updated['aws_iot']))
    readAt(awsIotProvider, updated['aws_iot'], 'pubsub.aws_iot');
  updated['updated_at'] = now;
  context.state.pubsubs.set(key, updated);
  return selectFields(updated, context.mask);
}

function getPubSub(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  const pubSubID = param(context, 'pub_sub_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  const stored = context.state.pubsubs.get(deviceKey(applicationID, pubSubID));
  if (stored === undefined) throw registryNotFound();
  return selectFields(stored, context.mask);
}

function listPubSubs(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  const pubsubs = [...context.state.pubsubs.entries()]
    .filter(([key]) => key.startsWith(`${applicationID}/`))
    .map(([, pubsub]) => selectFields(pubsub, context.mask));
  return pubsubs.length === 0 ? {} : { pubsubs };
}

function deletePubSub(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  const pubSubID = param(context, 'pub_sub_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  if (!context.state.pubsubs.delete(deviceKey(applicationID, pubSubID))) throw registryNotFound();
  return {};
}

// --- Application settings: KEK on the JS, link on the AS ------------------------------------

function setKekSettings(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.devicesReadKeys, RIGHTS.devicesWriteKeys]);
  const updated = structuredClone(context.state.kekSettings.get(applicationID) ?? {});
  applyFieldMask(updated, readAt(SET_KEK_SETTINGS, context.body, '').settings, context.mask);
  const checked = checkKekSettings(updated);
  context.state.kekSettings.set(applicationID, checked);
  return selectFields(checked, context.mask);
}

function getKekSettings(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.devicesReadKeys]);
  const stored = context.state.kekSettings.get(applicationID);
  if (stored === undefined) throw registryNotFound();
  return selectFields(stored, context.mask);
}

function deleteKekSettings(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.devicesWriteKeys]);
  if (!context.state.kekSettings.delete(applicationID)) throw registryNotFound();
  return {};
}

function setLink(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  const updated = structuredClone(context.state.links.get(applicationID) ?? {});
  applyFieldMask(updated, readAt(SET_LINK, context.body, '').link, context.mask);
  context.state.links.set(applicationID, updated);
  return selectFields(updated, context.mask);
}

function getLink(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  const stored = context.state.links.get(applicationID);
  if (stored === undefined) throw registryNotFound();
  return selectFields(stored, context.mask);
}

function deleteLink(context: RouteContext): JsonObject {
  const applicationID = param(context, 'application_id');
  context.authorize(applicationID, [RIGHTS.settingsBasic]);
  if (!context.state.links.delete(applicationID)) throw registryNotFound();
  return {};
}

// --- Downlink queue -----------------------------------------------------------------------

function queueDownlinks(context: RouteContext, operation: 'push' | 'replace'): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  context.authorize(applicationID, [RIGHTS.trafficDownWrite]);
  const key = deviceKey(applicationID, deviceID);
  const device = context.state.devices.as.get(key);
  if (device === undefined) throw registryNotFound();
  const override = device['skip_payload_crypto_override'];
  const skipPayloadCrypto =
    typeof override === 'boolean'
      ? override
      : context.state.links.get(applicationID)?.['skip_payload_crypto'] === true;
  const { downlinks } = readAt(
    skipPayloadCrypto ? QUEUE_DOWNLINKS.e2e : QUEUE_DOWNLINKS.plain,
    context.body,
    '',
  );
  const queue = operation === 'push' ? [...(context.state.downlinkQueues.get(key) ?? [])] : [];
  const session = context.state.sessions.get(key);
  for (const downlink of downlinks) {
    if (skipPayloadCrypto && session !== undefined) checkSessionCounters(downlink, session, queue);
    queue.push(downlink);
  }
  context.state.downlinkQueues.set(key, queue);
  return {};
}

/** What the Network Server checks of an end-to-end encrypted downlink (docs/tts.md "Downlinks"). */
function checkSessionCounters(
  downlink: JsonObject,
  session: { sessionKeyID: string; minFCnt: number },
  queue: readonly JsonObject[],
): void {
  if (downlink['session_key_id'] !== session.sessionKeyID) {
    throw new TtsError({
      status: 400,
      namespace: 'pkg/networkserver',
      name: 'unknown_session',
      messageFormat: 'unknown session',
    });
  }
  const last = queue.at(-1)?.['f_cnt'];
  const minFCnt = Math.max(session.minFCnt, last === undefined ? 0 : Number(last) + 1);
  const fCnt = Number(downlink['f_cnt']);
  if (fCnt < minFCnt) {
    throw new TtsError({
      status: 400,
      namespace: 'pkg/networkserver',
      name: 'f_cnt_too_low',
      messageFormat: 'FCnt too low',
      attributes: { f_cnt: fCnt, min_f_cnt: minFCnt },
    });
  }
}

function listDownlinks(context: RouteContext): JsonObject {
  const { applicationID, deviceID } = deviceParams(context);
  context.authorize(applicationID, [RIGHTS.trafficRead]);
  const key = deviceKey(applicationID, deviceID);
  if (!context.state.devices.as.has(key)) throw registryNotFound();
  const downlinks = context.state.downlinkQueues.get(key) ?? [];
  return downlinks.length === 0 ? {} : { downlinks: structuredClone(downlinks) };
}

// --- Device Repository ---------------------------------------------------------------------

/** A codec the test seeded in `state.repository` (see `repositoryKey`), else TTS's NotFound. */
function getRepositoryFormatter(context: RouteContext, direction: string): JsonObject {
  context.authorize(param(context, 'application_id'), [RIGHTS.devicesRead]);
  const key = repositoryKey(
    {
      brandID: param(context, 'brand_id'),
      modelID: param(context, 'model_id'),
      firmwareVersion: param(context, 'firmware_version'),
      bandID: param(context, 'band_id'),
    },
    direction,
  );
  const codec = context.state.repository.get(key);
  if (codec === undefined) throw registryNotFound();
  return context.mask.length === 0 ? structuredClone(codec) : selectFields(codec, context.mask);
}

function param(context: RouteContext, name: string): string {
  const value = context.params[name];
  if (value === undefined) throw new Error(`The route has no {${name}} parameter.`);
  return value;
}

function deviceParams(context: RouteContext): { applicationID: string; deviceID: string } {
  return { applicationID: param(context, 'application_id'), deviceID: param(context, 'device_id') };
}
