/**
 * `lorawan decode <hex-or-base64> [keys] [counters]`: decodes one PHYPayload, checks its
 * MIC and decrypts what the keys given allow, and prints one JSON object (camelCase keys,
 * uppercase hex). Malformed input: exit code 2 and one line on stderr.
 */
import { decryptFOpts, decryptFRMPayload, decryptJoinAccept } from './encryption';
import { MAX_F_CNT } from './bytes';
import { LorawanError } from './errors';
import { verifyMIC, type MICContext, type MICKeys } from './frame-mic';
import { fromHex, parseAesKey, parseEui64, toHex, type AesKey, type Eui64 } from './identifiers';
import type { CFList, EncryptedJoinAccept, JoinAccept, JoinRequest, RejoinRequest } from './join';
import { deriveJSEncKey, deriveJSIntKey } from './key-derivation';
import {
  decodeMACCommands,
  MAC_COMMANDS,
  MAC_VERSIONS,
  type MACCommand,
  type MACVersion,
} from './mac-commands';
import type { JoinReqType } from './mic';
import { dataFrameDirection, type DataFrame } from './mac-payload';
import { decodePHYPayload, type PHYPayload } from './phy-payload';

const USAGE = `Usage: lorawan decode <hex-or-base64> [options]

Decodes a LoRaWAN PHYPayload and prints it as JSON; with keys, checks the MIC and decrypts.

Keys (32 hex digits):
  --app-key K              join-request and join-accept (LoRaWAN 1.0)
  --nwk-key K              join-request and join-accept (1.1); with --dev-eui, the JSIntKey
                           and JSEncKey below
  --js-int-key K           rejoin type 1, join-accept with OptNeg (1.1)
  --js-enc-key K           join-accept answering a rejoin-request (1.1; needs --join-req-type)
  --nwk-s-key K            data frame MIC, FPort 0 payload (1.0)
  --app-s-key K            FPort 1-255 payload
  --f-nwk-s-int-key K      uplink MIC (1.1)
  --s-nwk-s-int-key K      data frame MIC (1.1), rejoin types 0 and 2
  --nwk-s-enc-key K        FOpts and FPort 0 payload (1.1)
Frame context:
  --f-cnt N                the full 32-bit frame counter (default: the 16 bits on the wire)
  --conf-f-cnt N           the acknowledged frame's counter (1.1 MIC with ACK set)
  --tx-dr N, --tx-ch N     the uplink's data rate and channel indices (1.1 uplink MIC)
  --mac-version V          the device's LoRaWAN version (1.0.0 … 1.0.4, 1.1): MAC commands it
                           does not define are errors; 1.1 reads FOpts as encrypted
Join-accept with OptNeg (1.1), whose MIC covers the request it answers:
  --join-req-type T        0xFF join-request (default), 0, 1 or 2 a rejoin-request of that type
  --join-eui E             the request's JoinEUI (16 hex digits)
  --dev-nonce H            the request's DevNonce as join-requests show it, 4 hex digits
                           (for a rejoin, its RJcount0 or RJcount1 in 4 hex digits)
  --dev-eui E              the DevEUI, to derive JSIntKey and JSEncKey from --nwk-key

Exit status: 0 decoded, 2 malformed input or arguments (one line on stderr).
`;

const KEY_FLAGS = {
  '--app-key': 'appKey',
  '--nwk-key': 'nwkKey',
  '--js-int-key': 'jsIntKey',
  '--js-enc-key': 'jsEncKey',
  '--nwk-s-key': 'nwkSKey',
  '--app-s-key': 'appSKey',
  '--f-nwk-s-int-key': 'fNwkSIntKey',
  '--s-nwk-s-int-key': 'sNwkSIntKey',
  '--nwk-s-enc-key': 'nwkSEncKey',
} as const;

const NUMBER_FLAGS = {
  '--f-cnt': ['fCnt', MAX_F_CNT],
  '--conf-f-cnt': ['confFCnt', MAX_F_CNT],
  '--tx-dr': ['txDr', 0xff],
  '--tx-ch': ['txCh', 0xff],
} as const;

const EUI_FLAGS = { '--join-eui': 'joinEUI', '--dev-eui': 'devEUI' } as const;

type KeyName = (typeof KEY_FLAGS)[keyof typeof KEY_FLAGS];
type Keys = Partial<Record<KeyName, AesKey>>;
type Numbers = {
  -readonly [F in keyof typeof NUMBER_FLAGS as (typeof NUMBER_FLAGS)[F][0]]?: number;
};
type EUIs = Partial<Record<(typeof EUI_FLAGS)[keyof typeof EUI_FLAGS], Eui64>>;

interface Arguments {
  readonly frame: Uint8Array;
  readonly keys: Keys;
  readonly numbers: Numbers;
  readonly euis: EUIs;
  readonly devNonce: number | undefined;
  readonly joinReqType: JoinReqType | undefined;
  readonly macVersion: MACVersion | undefined;
}

/** A malformed command line. */
class UsageError extends Error {}

/**
 * Runs the command line `argv` (without the node and script paths), writing the result to
 * `out` and the one-line diagnosis to `err`; returns the exit code.
 */
export function runCli(
  argv: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    (argv.length === 0 ? err : out).write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const args = parseArguments(argv);
    out.write(`${JSON.stringify(describe(args), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof LorawanError)) throw error;
    err.write(`lorawan: ${error.message}\n`);
    return 2;
  }
}

function parseArguments(argv: readonly string[]): Arguments {
  const [command, ...rest] = argv;
  if (command !== 'decode')
    throw new UsageError(
      `unknown command ${JSON.stringify(command)}; use "lorawan decode <hex-or-base64>" (see --help).`,
    );
  const keys: Keys = {};
  const numbers: Numbers = {};
  const euis: EUIs = {};
  let devNonce: number | undefined;
  let joinReqType: JoinReqType | undefined;
  let macVersion: MACVersion | undefined;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${flag} needs a value.`);
    if (Object.hasOwn(KEY_FLAGS, flag)) {
      keys[KEY_FLAGS[flag as keyof typeof KEY_FLAGS]] = parseKeyFlag(flag, value);
    } else if (Object.hasOwn(NUMBER_FLAGS, flag)) {
      const [name, max] = NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS];
      numbers[name] = parseNumberFlag(flag, value, max);
    } else if (Object.hasOwn(EUI_FLAGS, flag)) {
      euis[EUI_FLAGS[flag as keyof typeof EUI_FLAGS]] = parseEuiFlag(flag, value);
    } else if (flag === '--dev-nonce') {
      if (!/^[0-9A-Fa-f]{4}$/.test(value))
        throw new UsageError(
          `--dev-nonce takes 4 hex digits, as join-requests show their DevNonce, not ${JSON.stringify(value)}.`,
        );
      devNonce = parseInt(value, 16);
    } else if (flag === '--join-req-type') {
      joinReqType = parseJoinReqType(value);
    } else if (flag === '--mac-version') {
      if (!(MAC_VERSIONS as readonly string[]).includes(value))
        throw new UsageError(
          `--mac-version takes one of ${MAC_VERSIONS.join(', ')}, not ${JSON.stringify(value)}.`,
        );
      macVersion = value as MACVersion;
    } else {
      throw new UsageError(`unknown option ${flag} (see --help).`);
    }
  }
  if (positional.length !== 1)
    throw new UsageError(`decode takes one PHYPayload (hex or base64), got ${positional.length}.`);
  return {
    frame: parseFrame(positional[0]!),
    keys,
    numbers,
    euis,
    devNonce,
    joinReqType,
    macVersion,
  };
}

function parseKeyFlag(flag: string, value: string): AesKey {
  try {
    return parseAesKey(value);
  } catch {
    // The value may be a key: say what is wrong with it, never echo it.
    throw new UsageError(
      `${flag} takes 32 hex digits (an AES-128 key); got ${value.length} characters${/^[0-9A-Fa-f]*$/.test(value) ? '' : ' with non-hex ones'}.`,
    );
  }
}

function parseEuiFlag(flag: string, value: string): Eui64 {
  if (!/^[0-9A-Fa-f]{16}$/.test(value))
    throw new UsageError(`${flag} takes 16 hex digits (an EUI-64), not ${JSON.stringify(value)}.`);
  return parseEui64(value);
}

function parseJoinReqType(value: string): JoinReqType {
  // 0xFF as the specification writes it, FF as this tool prints bytes, or decimal.
  const type = /^(0x)?ff$/i.test(value) ? 0xff : /^\d{1,3}$/.test(value) ? Number(value) : -1;
  if (type !== 0xff && type !== 0 && type !== 1 && type !== 2)
    throw new UsageError(
      `--join-req-type takes 0xFF (a join-request) or 0, 1, 2 (a rejoin-request type), not ${JSON.stringify(value)}.`,
    );
  return type;
}

function parseNumberFlag(flag: string, value: string, max: number): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > max)
    throw new UsageError(
      `${flag} takes an integer from 0 to ${max}, not ${JSON.stringify(value)}.`,
    );
  return Number(value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function parseFrame(text: string): Uint8Array {
  if (/^[0-9A-Fa-f]+$/.test(text) && text.length % 2 === 0) return fromHex(text);
  if (text.length > 0 && BASE64.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new UsageError(
    `the PHYPayload ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is neither hex nor base64.`,
  );
}

function describe(args: Arguments): Record<string, unknown> {
  const { frame, keys } = args;
  const payload = decodePHYPayload(frame);
  switch (payload.mType) {
    case 'JoinRequest':
      return describeJoinRequest(payload, keys);
    case 'JoinAccept':
      return describeJoinAccept(payload as EncryptedJoinAccept, args);
    case 'RejoinRequest':
      return describeRejoinRequest(payload, keys);
    case 'Proprietary':
      return { mType: payload.mType, major: payload.major, payload: toHex(payload.payload) };
    default:
      return describeDataFrame(payload, args);
  }
}

function describeJoinRequest(request: JoinRequest, keys: Keys): Record<string, unknown> {
  return {
    mType: request.mType,
    major: request.major,
    joinEUI: toHex(request.joinEUI),
    devEUI: toHex(request.devEUI),
    devNonce: hexNumber(request.devNonce, 4),
    mic: toHex(request.mic),
    micValid: micValidity(request, keys),
  };
}

function describeJoinAccept(
  encrypted: EncryptedJoinAccept,
  { frame: phyPayload, keys, euis, devNonce, joinReqType = 0xff }: Arguments,
): Record<string, unknown> {
  const { nwkKey } = keys;
  const { devEUI } = euis;
  // 1.1 §6.2.3: a join-accept answering a rejoin-request is encrypted with the JSEncKey.
  let key: AesKey | undefined;
  if (joinReqType !== 0xff) {
    key = keys.jsEncKey ?? (nwkKey && devEUI && deriveJSEncKey(nwkKey, devEUI));
  } else if (keys.jsEncKey) {
    throw new UsageError(
      '--js-enc-key decrypts a join-accept answering a rejoin-request: give its --join-req-type (0, 1 or 2).',
    );
  } else {
    key = nwkKey ?? keys.appKey;
  }
  if (key === undefined)
    return {
      mType: encrypted.mType,
      major: encrypted.major,
      encrypted: toHex(encrypted.encrypted),
      micValid: null,
    };
  const plain = decryptJoinAccept(key, phyPayload);
  const accept = withKeyHint(() => decodePHYPayload(plain, { joinAccept: 'plain' }) as JoinAccept);
  const jsIntKey = keys.jsIntKey ?? (nwkKey && devEUI && deriveJSIntKey(nwkKey, devEUI));
  return {
    mType: accept.mType,
    major: accept.major,
    joinNonce: hexNumber(accept.joinNonce, 6),
    netID: hexNumber(accept.netID, 6),
    devAddr: toHex(accept.devAddr),
    dlSettings: accept.dlSettings,
    rxDelay: accept.rxDelay,
    cfList: accept.cfList === undefined ? null : describeCFList(accept.cfList),
    mic: toHex(accept.mic),
    micValid: micValidity(
      accept,
      { ...keys, ...(jsIntKey && { jsIntKey }) },
      { joinReqType, joinEUI: euis.joinEUI, devNonce },
    ),
  };
}

function describeCFList(cfList: CFList): Record<string, unknown> {
  return cfList.type === 'Frequencies'
    ? { type: cfList.type, frequencies: cfList.frequencies }
    : { type: cfList.type, enabledChannels: cfList.enabledChannels };
}

function describeRejoinRequest(rejoin: RejoinRequest, keys: Keys): Record<string, unknown> {
  const jsIntKey = keys.jsIntKey ?? (keys.nwkKey && deriveJSIntKey(keys.nwkKey, rejoin.devEUI));
  return {
    mType: rejoin.mType,
    major: rejoin.major,
    rejoinType: rejoin.rejoinType,
    ...(rejoin.rejoinType === 1
      ? { joinEUI: toHex(rejoin.joinEUI) }
      : { netID: hexNumber(rejoin.netID, 6) }),
    devEUI: toHex(rejoin.devEUI),
    rjCount: rejoin.rjCount,
    mic: toHex(rejoin.mic),
    micValid: micValidity(rejoin, { ...keys, ...(jsIntKey && { jsIntKey }) }),
  };
}

function describeDataFrame(
  frame: DataFrame,
  { keys, numbers, macVersion }: Arguments,
): Record<string, unknown> {
  const direction = dataFrameDirection(frame);
  const fCnt = fullFCnt(frame, numbers.fCnt);
  const v11 = sessionVersionIs11(keys, macVersion);
  const { confFCnt, txDr, txCh } = numbers;
  const micValid = micValidity(frame, keys, { fCnt, confFCnt, txDr, txCh });
  const { devAddr, fPort } = frame;
  const payloadKey =
    fPort === undefined
      ? undefined
      : fPort === 0
        ? v11
          ? keys.nwkSEncKey
          : keys.nwkSKey
        : keys.appSKey;
  const plaintext =
    fPort === undefined
      ? new Uint8Array(0)
      : payloadKey && decryptFRMPayload(payloadKey, direction, devAddr, fCnt, frame.frmPayload);
  const fOpts = v11 ? decryptedFOpts(frame, keys, fCnt) : frame.fOpts;
  const macSource = fPort === 0 ? plaintext : fOpts;
  // Without session keys the version is unknown: FOpts are read as 1.0 (in the clear), and
  // if they do not parse they may well be 1.1 (encrypted), which is no malformed frame.
  const versionKnown = v11 || keys.nwkSKey !== undefined || macVersion !== undefined;
  const macCommands =
    macSource &&
    withMACHint(micValid, fPort === 0 ? 'FRMPayload' : 'FOpts', versionKnown, () =>
      decodeMACCommands(macSource, direction, { version: macVersion }),
    );

  return {
    mType: frame.mType,
    major: frame.major,
    devAddr: toHex(devAddr),
    fCtrl: { ...frame.fCtrl, fOptsLen: frame.fOpts.length },
    fCnt,
    fOpts: toHex(frame.fOpts),
    fPort: fPort ?? null,
    frmPayload: toHex(frame.frmPayload),
    mic: toHex(frame.mic),
    micValid,
    plaintext: !plaintext
      ? null
      : fPort === 0 && macCommands?.some(carriesKey)
        ? '(MAC commands carrying a key, not shown)'
        : toHex(plaintext),
    macCommands: macCommands ? macCommands.map(describeMACCommand) : null,
  };
}

/** The full 32-bit FCnt: `--f-cnt`, which must end in the frame's 16 bits, or those bits. */
function fullFCnt(frame: DataFrame, given: number | undefined): number {
  const fCnt = given ?? frame.fCnt;
  if (fCnt % 0x10000 !== frame.fCnt) {
    throw new UsageError(
      `--f-cnt ${fCnt} does not end in the frame's 16-bit FCnt ${frame.fCnt} (${fCnt % 0x10000} ≠ ${frame.fCnt}).`,
    );
  }
  return fCnt;
}

/** Whether the session keys given (or `--mac-version`) make the frame a 1.1 one; refuses a mix. */
function sessionVersionIs11(keys: Keys, macVersion: Arguments['macVersion']): boolean {
  const v11Keys =
    keys.fNwkSIntKey !== undefined ||
    keys.sNwkSIntKey !== undefined ||
    keys.nwkSEncKey !== undefined;
  if (v11Keys && macVersion !== undefined && macVersion !== '1.1')
    throw new UsageError(
      `--mac-version ${macVersion} has no FNwkSIntKey, SNwkSIntKey or NwkSEncKey: give --nwk-s-key, or --mac-version 1.1.`,
    );
  if (keys.nwkSKey && macVersion === '1.1')
    throw new UsageError(
      '--nwk-s-key is a LoRaWAN 1.0 key; a 1.1 device has --f-nwk-s-int-key, --s-nwk-s-int-key and --nwk-s-enc-key.',
    );
  // With 1.1 integrity keys as well, verifyMIC says so itself (conflicting_keys).
  if (keys.nwkSKey && keys.nwkSEncKey)
    throw new UsageError(
      'give the session keys of one LoRaWAN version: --nwk-s-key (1.0) or --nwk-s-enc-key (1.1), not both.',
    );
  return v11Keys || macVersion === '1.1';
}

/** 1.1 FOpts in the clear, or undefined without the NwkSEncKey. */
function decryptedFOpts(frame: DataFrame, keys: Keys, fCnt: number): Uint8Array | undefined {
  if (frame.fOpts.length === 0) return frame.fOpts;
  const direction = dataFrameDirection(frame);
  // 1.1 §4.3.1.6: downlinks that carry an FPort > 0 count with AFCntDown.
  const counter =
    direction === 'down' && frame.fPort !== undefined && frame.fPort > 0 ? 'aFCntDown' : 'nFCnt';
  return (
    keys.nwkSEncKey &&
    decryptFOpts(keys.nwkSEncKey, direction, frame.devAddr, fCnt, frame.fOpts, counter)
  );
}

/** What stands for a key that a MAC command carries (RootWorSKey): keys are not printed. */
const HIDDEN_KEY = '(a key, not shown)';

function fieldKinds(command: MACCommand): Readonly<Record<string, { readonly kind: string }>> {
  return command.name === 'Proprietary' ? {} : MAC_COMMANDS[command.name].fields;
}

function carriesKey(command: MACCommand): boolean {
  return Object.values(fieldKinds(command)).some((field) => field.kind === 'aesKey');
}

function describeMACCommand(command: MACCommand): Record<string, unknown> {
  const { cid, name, ...fields } = command as MACCommand & Record<string, unknown>;
  if (command.name === 'Proprietary') return { cid, name, payload: toHex(command.payload) };
  const kinds = fieldKinds(command);
  const shown = Object.entries(fields).map(([key, value]) => [
    key,
    kinds[key]!.kind === 'aesKey' ? HIDDEN_KEY : value instanceof Uint8Array ? toHex(value) : value,
  ]);
  return { cid, name, ...Object.fromEntries(shown) };
}

/** `verifyMIC`, or `null` when the keys or context given do not determine the MIC. */
function micValidity(payload: PHYPayload, keys: MICKeys, context: MICContext = {}): boolean | null {
  try {
    return verifyMIC(payload, keys, context);
  } catch (error) {
    if (
      error instanceof LorawanError &&
      (error.code === 'missing_key' || error.code === 'missing_context')
    )
      return null;
    throw error;
  }
}

function withKeyHint<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new UsageError(
      `${(error as LorawanError).message} Check the key: a join-accept decrypted with another key reads as garbage.`,
    );
  }
}

function withMACHint<T>(
  micValid: boolean | null,
  where: string,
  versionKnown: boolean,
  decode: () => T,
): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (!versionKnown) return undefined;
    const hint =
      micValid === false ? ' The MIC does not verify either: check the keys and counters.' : '';
    throw new UsageError(`${where}: ${(error as LorawanError).message}${hint}`);
  }
}

function hexNumber(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}
