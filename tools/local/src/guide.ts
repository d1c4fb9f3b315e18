import { randomBytes } from 'node:crypto';
import { parseKekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { CLAIM_JOIN_EUI, demoAttributes, JOIN_EUI, type LocalDevice } from './demo-devices';
import { FORMATTER_DEMO_DEV_EUI } from './formatter-demo';
import type { LocalStack } from './main';
import { REGION } from './wiring';

/** What `npm start` prints: the endpoints and how to watch and drive the traffic. */
export function guide(stack: LocalStack): string {
  const { options, broker, api, tts, devices } = stack;
  const [host, port] = [options.host, broker.port];
  const example = devices[0]?.devEUI ?? '<thing>';
  return [
    '',
    'tts-aws-iot local stack: the integration on this machine, no AWS account needed.',
    '',
    `  MQTT broker (IoT Core)    ${broker.url}`,
    `  AWS API                   ${api.url}   iot, iot-data, secretsmanager; any credentials, region ${REGION}`,
    `  TTS stand-in API          ${tts.url}`,
    `  stack / app / thing type  ${options.stackName} / ${options.applicationID} / ${options.thingTypeName}, end-to-end encryption ${options.e2e ? 'on' : 'off'}`,
    `  simulated devices         ${describeDevices(devices)} (things named by DevEUI)`,
    `  state                     ${stack.dataDir}${stack.resumed ? ' (resumed)' : ''}`,
    '',
    'Watch what applications see:',
    `  npx mqtt sub -h ${host} -p ${port} -t 'lorawan/#' -v`,
    'Send a downlink (delivered after the device’s next uplink):',
    `  npx mqtt pub -h ${host} -p ${port} -t lorawan/downlink -m '{"thingName":"${example}","bytes":"AQI=","fPort":10}'`,
    `Schedule a downlink in the shadow's desired state (${FORMATTER_DEMO_DEV_EUI}'s codec encodes the payload):`,
    `  ${awsCli(stack)} iot-data update-thing-shadow --thing-name ${FORMATTER_DEMO_DEV_EUI} --shadow-name lorawan --cli-binary-format raw-in-base64-out --payload '{"state":{"desired":{"downlink":{"payload":{"level":7}}}}}' /dev/stdout`,
    'Read a shadow with the AWS CLI:',
    `  ${awsCli(stack)} iot-data get-thing-shadow --thing-name ${example} --shadow-name lorawan /dev/stdout`,
    'Add a device of your own: the simulator runs every device the integration registers',
    '(lorawan/<thing>/join, then /uplink, within seconds):',
    `  ${createThingCommand(stack)}`,
    '',
    options.once ? 'Running the demo once, then stopping.' : 'Stop with Ctrl+C.',
    '',
  ].join('\n');
}

/** The last line of the start: what runs where. Tests and scripts wait for `Ready:`. */
export function readyLine(stack: LocalStack): string {
  return `Ready: MQTT broker ${stack.broker.url}, AWS API ${stack.api.url}, TTS API ${stack.tts.url}, state in ${stack.dataDir}${stack.resumed ? ' (resumed)' : ''}.`;
}

/**
 * `aws iot create-thing` for a new device, ready to paste: every attribute create-device
 * needs, the AppKey wrapped under the stack's KEK when end-to-end encryption is on (the
 * functions then unwrap it; nothing readable lands on the thing or in this log).
 */
export function createThingCommand(stack: LocalStack): string {
  const devEUI = `0004A30B${randomBytes(4).toString('hex').toUpperCase()}`;
  const appKey = randomBytes(16);
  const kekRing = stack.api.secrets.currentSecretString(`${stack.options.stackName}/kek`);
  const attributes = demoAttributes(
    { devEUI, joinEUI: JOIN_EUI, appKey: wrappedAppKey(appKey, stack.options.e2e, kekRing) },
    stack.options.stackName,
  );
  const payload = JSON.stringify({ attributes });
  return `${awsCli(stack)} iot create-thing --thing-name ${devEUI} --thing-type-name ${stack.options.thingTypeName} --attribute-payload '${payload}'`;
}

/** `wrapped:<label>:<hex>` under the current KEK with E2E; without it the key in hex. */
function wrappedAppKey(appKey: Uint8Array, e2e: boolean, kekRing: string | undefined): string {
  if (!e2e || kekRing === undefined) return Buffer.from(appKey).toString('hex').toUpperCase();
  const { label, kek } = parseKekRing(kekRing).current();
  return `wrapped:${label}:${Buffer.from(wrapKey(kek, appKey)).toString('hex').toUpperCase()}`;
}

function awsCli(stack: LocalStack): string {
  return `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.api.url} --region ${REGION}`;
}

function describeDevices(devices: readonly LocalDevice[]): string {
  const list = (claimed: boolean) =>
    devices
      .filter((d) => (d.claimAuthenticationCode !== undefined) === claimed)
      .map((d) => d.devEUI)
      .join(' ');
  const [created, claimed] = [list(false), list(true)];
  return (
    [
      created && `${created} created with their AppKey`,
      claimed && `${claimed} claimed (JoinEUI ${CLAIM_JOIN_EUI})`,
    ]
      .filter(Boolean)
      .join(', ') || 'none'
  );
}
