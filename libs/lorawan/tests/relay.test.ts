import fc from 'fast-check';
import {
  decodeForwardUplinkReq,
  encodeForwardUplinkReq,
  fromHex,
  LorawanError,
  RELAY_F_PORT,
  toHex,
  type ForwardUplinkReq,
} from '../src/index';

// The Things Stack's published vector (pkg/encoding/lorawan/relay_test.go), EU868 DR1.
const vector: ForwardUplinkReq = {
  worChannel: 1,
  rssi: -64,
  snr: 5,
  dataRate: 1,
  frequency: 868100000,
  phyPayload: fromHex('010203'),
};

describe('relayed uplinks (FPort 226)', () => {
  it('decodes and encodes a ForwardUplinkReq', () => {
    expect(RELAY_F_PORT).toBe(226);
    expect(decodeForwardUplinkReq(fromHex('916301287684010203'))).toEqual(vector);
    expect(toHex(encodeForwardUplinkReq(vector))).toBe('916301287684010203');
  });

  it('ignores RFU metadata bits and copies the PHYPayload', () => {
    const input = fromHex('9163FD287684010203');
    const decoded = decodeForwardUplinkReq(input);
    expect(decoded).toEqual(vector);
    input[6] = 0xff;
    expect(toHex(decoded.phyPayload)).toBe('010203');
  });

  it('decode ∘ encode is the identity, and any bytes decode or raise LorawanError', () => {
    const request = fc.record({
      worChannel: fc.integer({ min: 0, max: 3 }),
      rssi: fc.integer({ min: -142, max: -15 }),
      snr: fc.integer({ min: -20, max: 11 }),
      dataRate: fc.integer({ min: 0, max: 15 }),
      frequency: fc.integer({ min: 0, max: 0xffffff }).map((units) => units * 100),
      phyPayload: fc.uint8Array({ minLength: 1, maxLength: 255 }),
    });
    fc.assert(
      fc.property(request, (r) => {
        expect(decodeForwardUplinkReq(encodeForwardUplinkReq(r))).toEqual(r);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        try {
          decodeForwardUplinkReq(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(LorawanError);
        }
      }),
    );
  });

  it('refuses a ForwardUplinkReq without a frame', () => {
    expect(() => decodeForwardUplinkReq(fromHex('916301287684'))).toThrow(
      expect.objectContaining({ code: 'invalid_length' }),
    );
    expect(() => decodeForwardUplinkReq('91' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({
        code: 'invalid_length',
        message: expect.stringContaining('string'),
      }),
    );
  });

  it.each([
    ['an empty PHYPayload', { phyPayload: new Uint8Array(0) }, 'PHYPayload'],
    ['a PHYPayload that is not bytes', { phyPayload: [1] }, 'PHYPayload'],
    ['an RSSI above -15 dBm', { rssi: -14 }, 'RSSI'],
    ['an RSSI below -142 dBm', { rssi: -143 }, 'RSSI'],
    ['an SNR above 11 dB', { snr: 12 }, 'SNR'],
    ['a fractional SNR', { snr: 1.5 }, 'SNR'],
    ['a WORChannel above 3', { worChannel: 4 }, 'WORChannel'],
    ['a data rate above 15', { dataRate: 16 }, 'DataRate'],
    ['a frequency off the 100 Hz grid', { frequency: 868100050 }, 'Frequency'],
    ['a frequency above 24 bits', { frequency: 1677721600 }, 'Frequency / 100'],
  ])('refuses to encode %s', (_, change, field) => {
    expect(() =>
      encodeForwardUplinkReq({ ...vector, ...change } as unknown as ForwardUplinkReq),
    ).toThrow(expect.objectContaining({ code: 'invalid_value', attributes: { field } }));
  });
});
