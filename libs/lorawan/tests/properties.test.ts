import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import {
  aesCmac,
  computeLegacyDownlinkMIC,
  computeLegacyJoinAcceptMIC,
  computeLegacyUplinkMIC,
  computeMIC,
  dataFrameDirection,
  decodeMACCommands,
  decodePHYPayload,
  decryptFOpts,
  decryptFRMPayload,
  decryptJoinAccept,
  encodeMACCommands,
  encodePHYPayload,
  encryptFOpts,
  encryptFRMPayload,
  encryptJoinAccept,
  LorawanError,
  MAC_COMMANDS,
  parseAesKey,
  parseDevAddr,
  parseEui64,
  reconstructFCnt,
  verifyMIC,
  type DataFrame,
  type Direction,
  type MACCommand,
  type MACVersion,
  type PHYPayload,
} from '../src/index';

const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const aesKey = bytes(16, 16).map(parseAesKey);
const devAddr = bytes(4, 4).map(parseDevAddr);
const eui = bytes(8, 8).map(parseEui64);
const mic = bytes(4, 4);
const u = (max: number) => fc.integer({ min: 0, max });
const direction = fc.constantFrom<Direction>('up', 'down');
const R1 = 'LoRaWANR1' as const;

const dataFrame: fc.Arbitrary<DataFrame> = fc
  .record({
    up: fc.boolean(),
    confirmed: fc.boolean(),
    flags: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()),
    devAddr,
    fCnt: u(0xffff),
    fOpts: bytes(0, 15),
    fPort: fc.option(u(255), { nil: undefined }),
    frmPayload: bytes(0, 227),
    mic,
  })
  .map(({ up, confirmed, flags: [adr, ack, a, b], fPort, fOpts, frmPayload, ...rest }) => ({
    ...rest,
    mType:
      `${confirmed ? 'Confirmed' : 'Unconfirmed'}Data${up ? 'Up' : 'Down'}` as DataFrame['mType'],
    major: R1,
    fCtrl: up ? { adr, adrAckReq: a, ack, classB: b } : { adr, ack, fPending: a },
    fOpts: fPort === 0 ? new Uint8Array(0) : fOpts,
    ...(fPort !== undefined && { fPort }),
    frmPayload: fPort === undefined ? new Uint8Array(0) : frmPayload,
  })) as fc.Arbitrary<DataFrame>;

const cfList = fc.oneof(
  fc
    .array(
      u(0xffffff).map((units) => units * 100),
      { minLength: 5, maxLength: 5 },
    )
    .map((frequencies) => ({ type: 'Frequencies' as const, frequencies })),
  fc.uniqueArray(u(119)).map((channels) => ({
    type: 'ChannelMask' as const,
    enabledChannels: channels.sort((x, y) => x - y),
  })),
);

const joinAccept = fc
  .record({
    joinNonce: u(0xffffff),
    netID: u(0xffffff),
    devAddr,
    dlSettings: fc.record({ optNeg: fc.boolean(), rx1DROffset: u(7), rx2DataRate: u(15) }),
    rxDelay: u(15),
    cfList: fc.option(cfList, { nil: undefined }),
    mic,
  })
  .map(({ cfList: list, ...rest }) => ({
    mType: 'JoinAccept' as const,
    major: R1,
    ...rest,
    ...(list && { cfList: list }),
  }));

const phyPayload: fc.Arbitrary<PHYPayload> = fc.oneof(
  dataFrame,
  fc.record({
    mType: fc.constant('JoinRequest' as const),
    major: fc.constant(R1),
    joinEUI: eui,
    devEUI: eui,
    devNonce: u(0xffff),
    mic,
  }),
  fc
    .oneof(bytes(16, 16), bytes(32, 32))
    .map((encrypted) => ({ mType: 'JoinAccept' as const, major: R1, encrypted })),
  fc.record({
    mType: fc.constant('RejoinRequest' as const),
    major: fc.constant(R1),
    rejoinType: fc.constantFrom(0 as const, 2 as const),
    netID: u(0xffffff),
    devEUI: eui,
    rjCount: u(0xffff),
    mic,
  }),
  fc.record({
    mType: fc.constant('RejoinRequest' as const),
    major: fc.constant(R1),
    rejoinType: fc.constant(1 as const),
    joinEUI: eui,
    devEUI: eui,
    rjCount: u(0xffff),
    mic,
  }),
  fc.record({
    mType: fc.constant('Proprietary' as const),
    major: fc.constant(R1),
    payload: bytes(0, 254),
  }),
);

/** Any bytes, or bytes behind a valid MHDR (so that most reach the message decoders). */
const frameBytes = fc.oneof(
  bytes(0, 300),
  fc.tuple(u(7), bytes(0, 40)).map(([mType, rest]) => Uint8Array.from([mType << 5, ...rest])),
);

/** Decoding either fails with a LorawanError or is lossless. */
function decodesLosslesslyOrRefuses(input: Uint8Array, joinAccept: 'encrypted' | 'plain'): void {
  let decoded: PHYPayload;
  try {
    decoded = decodePHYPayload(input, { joinAccept });
  } catch (error) {
    expect(error).toBeInstanceOf(LorawanError);
    return;
  }
  expect(Buffer.from(encodePHYPayload(decoded)).equals(input)).toBe(true);
}

describe('properties', () => {
  it('decode ∘ encode is the identity on every kind of PHYPayload', () => {
    fc.assert(
      fc.property(phyPayload, (payload) => {
        expect(decodePHYPayload(encodePHYPayload(payload))).toEqual(payload);
      }),
    );
    fc.assert(
      fc.property(joinAccept, (accept) => {
        expect(decodePHYPayload(encodePHYPayload(accept), { joinAccept: 'plain' })).toEqual(accept);
      }),
    );
  });

  it('random bytes only ever raise LorawanError, and what decodes encodes back to the same bytes', () => {
    fc.assert(
      fc.property(
        frameBytes,
        fc.constantFrom('encrypted' as const, 'plain' as const),
        (input, mode) => decodesLosslesslyOrRefuses(input, mode),
      ),
      { numRuns: 1000 },
    );
  });

  it('mutated frames (bit flips, truncation, extension) only ever raise LorawanError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: u(7) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), tail: bytes(1, 20) }),
    );
    fc.assert(
      fc.property(phyPayload, mutation, (payload, m) => {
        const encoded = encodePHYPayload(payload);
        let mutated: Uint8Array;
        if (m.kind === 'flip') {
          mutated = encoded.slice();
          mutated[m.at % mutated.length]! ^= 1 << m.bit;
        } else if (m.kind === 'cut') mutated = encoded.slice(0, m.at % encoded.length);
        else mutated = Uint8Array.from([...encoded, ...m.tail]);
        decodesLosslesslyOrRefuses(mutated, 'encrypted');
        decodesLosslesslyOrRefuses(mutated, 'plain');
      }),
      { numRuns: 500 },
    );
  });

  it('a signed data frame verifies, and any bit flipped in it is caught', () => {
    fc.assert(
      fc.property(dataFrame, aesKey, u(0xffff), u(7), fc.nat(), (frame, nwkSKey, high, bit, at) => {
        const context = { fCnt: high * 0x10000 + frame.fCnt };
        const signed = { ...frame, mic: computeMIC(frame, { nwkSKey }, context) };
        expect(verifyMIC(signed, { nwkSKey }, context)).toBe(true);
        const bytes = encodePHYPayload(signed);
        bytes[at % bytes.length]! ^= 1 << bit;
        try {
          const tampered = decodePHYPayload(bytes);
          if ('mic' in tampered && 'devAddr' in tampered && 'fCtrl' in tampered) {
            expect(verifyMIC(tampered, { nwkSKey }, { fCnt: high * 0x10000 + tampered.fCnt })).toBe(
              false,
            );
          }
        } catch (error) {
          expect(error).toBeInstanceOf(LorawanError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('frame MICs equal the formulas over the encoded bytes, whatever ran before them', () => {
    // The CMAC and keystream inputs live in reused buffers: interleave sizes and kinds.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(dataFrame, joinAccept), { minLength: 1, maxLength: 6 }),
        aesKey,
        (messages, key) => {
          for (const message of messages) {
            const msg = encodePHYPayload(message).subarray(0, -4);
            if (message.mType === 'JoinAccept') {
              const plain = { ...message, dlSettings: { ...message.dlSettings, optNeg: false } };
              const encoded = encodePHYPayload(plain).subarray(0, -4);
              expect(computeMIC(plain, { appKey: key })).toEqual(
                computeLegacyJoinAcceptMIC(key, encoded),
              );
              continue;
            }
            encryptFRMPayload(key, 'up', message.devAddr, message.fCnt, message.frmPayload);
            const formula =
              dataFrameDirection(message) === 'up'
                ? computeLegacyUplinkMIC
                : computeLegacyDownlinkMIC;
            expect(computeMIC(message, { nwkSKey: key })).toEqual(
              formula(key, message.devAddr, message.fCnt, msg),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  const field = (spec: {
    kind: string;
    bits?: number;
    size?: number;
  }): fc.Arbitrary<number | boolean | Uint8Array> => {
    const bits = spec.bits ?? 0;
    switch (spec.kind) {
      case 'bool':
        return fc.boolean();
      case 'int':
        return fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 });
      case 'hz':
        return u(0xffffff).map((units) => units * 100);
      case 'devAddr':
        return devAddr;
      case 'aesKey':
        return aesKey;
      case 'raw':
        return bytes(spec.size!, spec.size!);
      case 'tail':
        return bytes(0, 31);
      default:
        return u(2 ** bits - 1);
    }
  };
  const commandsFor = (dir: Direction): fc.Arbitrary<MACCommand[]> => {
    const standard = Object.entries(MAC_COMMANDS)
      .filter(([, spec]) => spec.direction === dir)
      .map(([name, spec]) =>
        fc
          .record(
            Object.fromEntries(Object.entries(spec.fields).map(([key, f]) => [key, field(f)])),
          )
          .map((fields) => ({ name, cid: spec.cid, ...fields }) as MACCommand),
      );
    const proprietary = fc.record({
      name: fc.constant('Proprietary' as const),
      cid: fc.integer({ min: 0x80, max: 0xff }),
      payload: bytes(0, 10),
    });
    return fc
      .tuple(
        fc.array(fc.oneof(...standard), { maxLength: 8 }),
        fc.option(proprietary, { nil: undefined }),
      )
      .map(([list, last]) => (last ? [...list, last] : list));
  };

  it.each(['up', 'down'] as const)(
    '%slink MAC commands: decode ∘ encode is the identity',
    (dir) => {
      fc.assert(
        fc.property(commandsFor(dir), (commands) => {
          expect(decodeMACCommands(encodeMACCommands(commands, dir), dir)).toEqual(commands);
        }),
      );
    },
  );

  it('a LoRaWAN version only ever refuses commands, never reads them differently', () => {
    const version = fc.constantFrom<MACVersion>('1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1');
    fc.assert(
      fc.property(bytes(0, 40), direction, version, (input, dir, v) => {
        let restricted: MACCommand[];
        try {
          restricted = decodeMACCommands(input, dir, { version: v });
        } catch (error) {
          expect(error).toBeInstanceOf(LorawanError);
          return;
        }
        expect(decodeMACCommands(input, dir)).toEqual(restricted);
        const encoded = encodeMACCommands(restricted, dir, { version: v });
        expect(decodeMACCommands(encoded, dir, { version: v })).toEqual(restricted);
      }),
      { numRuns: 500 },
    );
  });

  it('random MAC command bytes only ever raise LorawanError, and decode stably', () => {
    fc.assert(
      fc.property(bytes(0, 40), direction, (input, dir) => {
        try {
          const commands = decodeMACCommands(input, dir);
          expect(decodeMACCommands(encodeMACCommands(commands, dir), dir)).toEqual(commands);
        } catch (error) {
          expect(error).toBeInstanceOf(LorawanError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('AES-CMAC agrees with a per-block reference implementation of RFC 4493', () => {
    const reference = (key: Uint8Array, message: Uint8Array): string => {
      const aes = (block: Uint8Array) =>
        createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block);
      const double = (b: Buffer) => {
        const out = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) out[i] = ((b[i]! << 1) | ((b[i + 1] ?? 0) >> 7)) & 0xff;
        if (b[0]! & 0x80) out[15]! ^= 0x87;
        return out;
      };
      const k1 = double(aes(Buffer.alloc(16)));
      const k2 = double(k1);
      const n = Math.max(1, Math.ceil(message.length / 16));
      const complete = message.length > 0 && message.length % 16 === 0;
      const padded = Buffer.alloc(n * 16);
      padded.set(message);
      if (!complete) padded[message.length] = 0x80;
      let x = Buffer.alloc(16);
      for (let i = 0; i < n; i++) {
        const block = padded.subarray(i * 16, i * 16 + 16);
        const y = Buffer.alloc(16);
        for (let j = 0; j < 16; j++)
          y[j] = x[j]! ^ block[j]! ^ (i === n - 1 ? (complete ? k1 : k2)[j]! : 0);
        x = aes(y);
      }
      return x.toString('hex');
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(aesKey, bytes(0, 70)), { minLength: 1, maxLength: 4 }),
        (calls) => {
          for (const [key, message] of calls)
            expect(Buffer.from(aesCmac(key, message)).toString('hex')).toBe(
              reference(key, message),
            );
        },
      ),
    );
  });

  it('decryption inverts encryption (FRMPayload, FOpts, join-accept) and leaves inputs untouched', () => {
    fc.assert(
      fc.property(
        aesKey,
        direction,
        devAddr,
        fc.nat({ max: 0xffffffff }),
        bytes(0, 242),
        bytes(0, 15),
        fc.boolean(),
        (key, dir, addr, fCnt, payload, fOpts, a) => {
          const before = Buffer.from(payload).toString('hex');
          expect(
            decryptFRMPayload(
              key,
              dir,
              addr,
              fCnt,
              encryptFRMPayload(key, dir, addr, fCnt, payload),
            ),
          ).toEqual(payload);
          const counter = a ? 'aFCntDown' : 'nFCnt';
          expect(
            decryptFOpts(
              key,
              dir,
              addr,
              fCnt,
              encryptFOpts(key, dir, addr, fCnt, fOpts, counter),
              counter,
            ),
          ).toEqual(fOpts);
          expect(Buffer.from(payload).toString('hex')).toBe(before);
        },
      ),
    );
    fc.assert(
      fc.property(aesKey, joinAccept, (key, accept) => {
        const plain = encodePHYPayload(accept);
        expect(decryptJoinAccept(key, encryptJoinAccept(key, plain))).toEqual(plain);
      }),
    );
  });

  it('reconstructFCnt gives the smallest counter ≥ the last one with the wire bits', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xfffeffff }), u(0xffff), (last, wire) => {
        const fCnt = reconstructFCnt(last, wire);
        expect(fCnt % 0x10000).toBe(wire);
        expect(fCnt).toBeGreaterThanOrEqual(last);
        expect(fCnt - last).toBeLessThan(0x10000);
      }),
    );
  });
});
