import fc from 'fast-check';
import { KekRing, wrapKey, wrapKeyWithPadding } from '@tts-aws-iot/keywrap';
import { toHex } from '@tts-aws-iot/lorawan';
import {
  failedProvisioningAttributes,
  parseClaimDeviceAttributes,
  parseOtaaDeviceAttributes,
  provisioningKind,
  wrappedSecretLabels,
  type DeviceAttributeContext,
} from '../../src/registry/device-attributes';
import { InputError } from '../../src/errors';

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const NWK_KEY = '000102030405060708090A0B0C0D0E0F';
const CONTEXT: DeviceAttributeContext = {
  thingName: '0004A30B001C0530',
  stackName: 'tts-prod',
  thingNameScheme: 'DevEUI',
  defaultFrequencyPlanID: 'EU_863_870_TTN',
};
const VALID = {
  devEUI: '0004A30B001C0530',
  stackName: 'tts-prod',
  joinEUI: '70B3D57ED0000000',
  lorawanVersion: '1.0.3',
  regionalParametersVersion: '1.0.3-a',
  appKey: APP_KEY,
};

function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('invalid_device_attributes');
    return (error as InputError).attributes['problems'] as string[];
  }
  throw new Error('expected the attributes to be refused');
}

describe('provisioningKind', () => {
  it('sends things with an appKey to the create flow', () => {
    expect(provisioningKind({ devEUI: 'x', appKey: APP_KEY })).toBe('create');
  });

  it('sends things with a claim code and no appKey to the claim flow', () => {
    expect(provisioningKind({ devEUI: 'x', claimAuthenticationCode: 'ABC' })).toBe('claim');
  });

  it('gives a thing with both to the create flow, which refuses it', () => {
    expect(provisioningKind({ appKey: APP_KEY, claimAuthenticationCode: 'ABC' })).toBe('create');
  });

  it('leaves things the uplink Lambda created to neither flow', () => {
    expect(
      provisioningKind({ devEUI: '0004A30B001C0530', stackName: 'tts-prod', deviceID: 'dev1' }),
    ).toBeUndefined();
  });
});

describe('parseOtaaDeviceAttributes', () => {
  it('parses a LoRaWAN 1.0.3 device with defaults for the device ID and frequency plan', () => {
    const spec = parseOtaaDeviceAttributes(VALID, CONTEXT);
    expect({
      ...spec,
      devEUI: toHex(spec.devEUI),
      joinEUI: toHex(spec.joinEUI),
      appKey: toHex(spec.appKey),
    }).toEqual({
      kind: 'create',
      deviceID: 'eui-0004a30b001c0530',
      devEUI: '0004A30B001C0530',
      joinEUI: '70B3D57ED0000000',
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
      appKey: APP_KEY,
    });
  });

  it('parses a LoRaWAN 1.1 device with its NwkKey, device ID and frequency plan', () => {
    const spec = parseOtaaDeviceAttributes(
      {
        ...VALID,
        lorawanVersion: '1.1',
        regionalParametersVersion: 'RP002-1.0.3',
        nwkKey: NWK_KEY,
        deviceID: 'sensor-1',
        frequencyPlanID: 'US_902_928_FSB_2',
      },
      CONTEXT,
    );
    expect(spec).toMatchObject({
      deviceID: 'sensor-1',
      lorawanVersion: 'MAC_V1_1',
      lorawanPhyVersion: 'RP002_V1_0_3',
      frequencyPlanID: 'US_902_928_FSB_2',
    });
    expect(toHex(spec.nwkKey!)).toBe(NWK_KEY);
  });

  it('accepts appEUI for joinEUI and either case of hex', () => {
    const { joinEUI: _joinEUI, ...rest } = VALID;
    const spec = parseOtaaDeviceAttributes(
      {
        ...rest,
        devEUI: '0004a30b001c0530',
        appEUI: '70b3d57ed0000000',
        appKey: APP_KEY.toLowerCase(),
      },
      CONTEXT,
    );
    expect(toHex(spec.joinEUI)).toBe('70B3D57ED0000000');
  });

  it.each([
    ['1.0', '1.0', 'MAC_V1_0', 'PHY_V1_0'],
    ['1.0.1', '1.0.1', 'MAC_V1_0_1', 'PHY_V1_0_1'],
    // As the documented integration maps it: 1.0.2 is revision A.
    ['1.0.2', '1.0.2', 'MAC_V1_0_2', 'PHY_V1_0_2_REV_A'],
    ['1.0.2', '1.0.2-a', 'MAC_V1_0_2', 'PHY_V1_0_2_REV_A'],
    ['1.0.2', '1.0.2-B', 'MAC_V1_0_2', 'PHY_V1_0_2_REV_B'],
    ['1.0.4', 'RP002-1.0.0', 'MAC_V1_0_4', 'RP002_V1_0_0'],
    ['1.0.4', 'rp002-1.0.4', 'MAC_V1_0_4', 'RP002_V1_0_4'],
    ['1.1', '1.1-a', 'MAC_V1_1', 'PHY_V1_1_REV_A'],
    ['1.1', '1.1-b', 'MAC_V1_1', 'PHY_V1_1_REV_B'],
  ])(
    'maps lorawanVersion %s with regionalParametersVersion %s to %s / %s',
    (mac, phy, macEnum, phyEnum) => {
      const attributes = {
        ...VALID,
        lorawanVersion: mac,
        regionalParametersVersion: phy,
        ...(mac === '1.1' ? { nwkKey: NWK_KEY } : {}),
      };
      expect(parseOtaaDeviceAttributes(attributes, CONTEXT)).toMatchObject({
        lorawanVersion: macEnum,
        lorawanPhyVersion: phyEnum,
      });
    },
  );

  it('names the device after the thing with the DeviceID scheme', () => {
    const spec = parseOtaaDeviceAttributes(VALID, {
      ...CONTEXT,
      thingNameScheme: 'DeviceID',
      thingName: 'tts-prod_boiler-7',
    });
    expect(spec.deviceID).toBe('boiler-7');
  });

  // Each bad set with the problem it must be reported with (never a key in the text).
  it.each<[string, Record<string, string | undefined>, string]>([
    ['no devEUI', { devEUI: undefined }, 'devEUI is missing'],
    [
      'a short devEUI',
      { devEUI: '0004A30B001C05' },
      'devEUI "0004A30B001C05" is invalid: use 16 hex digits',
    ],
    [
      'a devEUI with separators',
      { devEUI: '00-04-A3-0B-00-1C-05-30' },
      'devEUI "00-04-A3-0B-00-1C-05-30" is invalid',
    ],
    [
      'the zero devEUI',
      { devEUI: '0000000000000000' },
      'devEUI 0000000000000000 is invalid: the zero EUI',
    ],
    ['no joinEUI or appEUI', { joinEUI: undefined }, 'joinEUI is missing'],
    [
      'a joinEUI that is not hex',
      { joinEUI: '70B3D57ED000000G' },
      'joinEUI "70B3D57ED000000G" is invalid',
    ],
    [
      'joinEUI and appEUI that differ',
      { appEUI: '70B3D57ED0000001' },
      'joinEUI 70B3D57ED0000000 and appEUI 70B3D57ED0000001 differ',
    ],
    ['no lorawanVersion', { lorawanVersion: undefined }, 'lorawanVersion is missing'],
    [
      'an unknown lorawanVersion',
      { lorawanVersion: '1.2' },
      'lorawanVersion "1.2" is not supported: use one of 1.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4, 1.1',
    ],
    [
      'no regionalParametersVersion',
      { regionalParametersVersion: undefined },
      'regionalParametersVersion is missing',
    ],
    [
      'an unknown regionalParametersVersion',
      { regionalParametersVersion: 'RP002-1.0.9' },
      'regionalParametersVersion "RP002-1.0.9" is not supported',
    ],
    [
      'a mismatched version pair',
      { regionalParametersVersion: '1.0.2-b' },
      'regionalParametersVersion 1.0.2-b does not go with lorawanVersion 1.0.3: use 1.0.3-a',
    ],
    ['no appKey', { appKey: undefined, claimAuthenticationCode: undefined }, 'appKey is missing'],
    [
      'a short appKey',
      { appKey: APP_KEY.slice(2) },
      'appKey is invalid: use 32 hex digits (got 30 characters)',
    ],
    [
      'an appKey that is not hex',
      { appKey: `${APP_KEY.slice(0, 31)}Z` },
      'appKey is invalid: use 32 hex digits (got a character other than a hex digit)',
    ],
    [
      'LoRaWAN 1.1 without nwkKey',
      { lorawanVersion: '1.1', regionalParametersVersion: '1.1-b' },
      'nwkKey is missing: LoRaWAN 1.1 devices need their NwkKey',
    ],
    [
      'LoRaWAN 1.1 with a bad nwkKey',
      { lorawanVersion: '1.1', regionalParametersVersion: '1.1-b', nwkKey: 'zz' },
      'nwkKey is invalid: use 32 hex digits (got 2 characters)',
    ],
    [
      'a nwkKey on LoRaWAN 1.0.3',
      { nwkKey: NWK_KEY },
      'nwkKey is set, but LoRaWAN 1.0.3 devices have no NwkKey',
    ],
    ['an uppercase deviceID', { deviceID: 'Sensor-1' }, 'deviceID "Sensor-1" is invalid'],
    [
      'a deviceID with double hyphens',
      { deviceID: 'sensor--1' },
      'deviceID "sensor--1" is invalid',
    ],
    [
      'a deviceID longer than 36 characters',
      { deviceID: 'a'.repeat(37) },
      `deviceID "${'a'.repeat(37)}" is invalid`,
    ],
    [
      'a lowercase frequencyPlanID',
      { frequencyPlanID: 'eu868' },
      'frequencyPlanID "eu868" is invalid',
    ],
    [
      'both appKey and a claim code',
      { claimAuthenticationCode: 'ABC123' },
      'appKey and claimAuthenticationCode are both set',
    ],
  ])('refuses %s', (_case, change, problem) => {
    const attributes = Object.fromEntries(
      Object.entries({ ...VALID, ...change }).filter(([, value]) => value !== undefined),
    ) as Record<string, string>;
    const problems = problemsOf(() => parseOtaaDeviceAttributes(attributes, CONTEXT));
    expect(problems).toContainEqual(expect.stringContaining(problem));
  });

  it('takes a thing of any name, with the device ID from deviceID or the DevEUI', () => {
    expect(parseOtaaDeviceAttributes(VALID, { ...CONTEXT, thingName: 'my-sensor' }).deviceID).toBe(
      'eui-0004a30b001c0530',
    );
    expect(
      parseOtaaDeviceAttributes(
        { ...VALID, deviceID: 'sensor-2' },
        { ...CONTEXT, thingNameScheme: 'DeviceID', thingName: 'tts-prod_sensor-1' },
      ).deviceID,
    ).toBe('sensor-2');
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      parseOtaaDeviceAttributes(
        {
          stackName: 'tts-prod',
          devEUI: 'nope',
          lorawanVersion: '9',
          regionalParametersVersion: '9',
          appKey: 'short',
        },
        CONTEXT,
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'devEUI',
      'joinEUI',
      'lorawanVersion',
      'regionalParametersVersion',
      'appKey',
    ]);
  });

  it('says in the message which thing is wrong and what to do', () => {
    expect(() => parseOtaaDeviceAttributes({ ...VALID, lorawanVersion: '1.2' }, CONTEXT)).toThrow(
      /^Thing 0004A30B001C0530 has invalid LoRaWAN attributes: lorawanVersion "1.2" is not supported: .*\. Fix them, then delete the thing and create it again\.$/,
    );
  });

  it('only ever throws InputError, and never repeats a key, whatever the attributes', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom(...'0123456789abcdefABCDEF'),
        minLength: 28,
        maxLength: 34,
      }),
      fc.constantFrom('1.0.3', '1.1', '1.0.3-a', 'RP002-1.0.1'),
    );
    const attributes = fc.dictionary(
      fc.constantFrom(
        'devEUI',
        'joinEUI',
        'appEUI',
        'lorawanVersion',
        'regionalParametersVersion',
        'appKey',
        'nwkKey',
        'deviceID',
        'frequencyPlanID',
      ),
      value,
    );
    fc.assert(
      fc.property(attributes, (generated) => {
        const merged = { ...VALID, ...generated };
        try {
          parseOtaaDeviceAttributes(merged, CONTEXT);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          const { appKey, nwkKey, ...others } = merged as Record<string, string>;
          for (const key of [appKey, nwkKey]) {
            // Key-like values only (hex, a key's length give or take); one repeated as another
            // attribute's value may rightly appear as that attribute.
            if (key && /^[0-9a-f]{16,}$/i.test(key) && !Object.values(others).includes(key))
              expect(error.message).not.toContain(key);
          }
        }
      }),
    );
  });
  it('refuses a version that is a name of every object, not a LoRaWAN version', () => {
    for (const lorawanVersion of ['constructor', 'toString', '__proto__'])
      expect(
        problemsOf(() => parseOtaaDeviceAttributes({ ...VALID, lorawanVersion }, CONTEXT)),
      ).toEqual([expect.stringMatching(/^lorawanVersion ".*" is not supported/)]);
    expect(
      problemsOf(() =>
        parseOtaaDeviceAttributes(
          { ...VALID, regionalParametersVersion: 'hasOwnProperty' },
          CONTEXT,
        ),
      ),
    ).toEqual([expect.stringMatching(/^regionalParametersVersion ".*" is not supported/)]);
  });
});

describe('key material in refusals', () => {
  const KEK = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));
  const RING: DeviceAttributeContext = { ...CONTEXT, kekRing: new KekRing('kek1', { kek1: KEK }) };
  // Secrets that are nearly right (a typo, a wrong length, wrapped under another KEK), with
  // every other attribute wrong too, so that each secret is refused beside other problems.
  const secret = fc.oneof(
    fc.string({
      unit: fc.constantFrom(...'0123456789abcdefABCDEFGZ'),
      minLength: 20,
      maxLength: 50,
    }),
    fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 20, maxLength: 60 })
      .map((hex) => `wrapped:kek1:${hex}`),
    fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((key) => `wrapped:kek1:${toHex(wrapKey(Uint8Array.from(key), key))}`),
  );
  const broken = {
    devEUI: 'x',
    lorawanVersion: '1.1',
    regionalParametersVersion: '1.1-b',
    bandID: '?',
  };

  it('never repeats an appKey, nwkKey or claim code in the message or the attributes', () => {
    fc.assert(
      fc.property(secret, secret, secret, (appKey, nwkKey, code) => {
        const attributes = { ...broken, appKey, nwkKey, claimAuthenticationCode: code };
        for (const parse of [parseOtaaDeviceAttributes, parseClaimDeviceAttributes]) {
          let refusal: InputError | undefined;
          try {
            parse(attributes, RING);
          } catch (error) {
            refusal = error as InputError;
          }
          expect(refusal).toBeInstanceOf(InputError);
          const told = `${refusal?.message} ${JSON.stringify(refusal?.attributes)}`;
          for (const value of [appKey, nwkKey, code, appKey.slice(-16), code.slice(-16)])
            expect(told).not.toContain(value);
        }
      }),
    );
  });
});

describe('parseClaimDeviceAttributes', () => {
  const CLAIM = {
    devEUI: '0004A30B001C0530',
    stackName: 'tts-prod',
    joinEUI: '70B3D57ED0000000',
    claimAuthenticationCode: 'ABCD1234',
  };

  it('parses a claim with LoRaWAN 1.0.3 defaults', () => {
    expect(parseClaimDeviceAttributes(CLAIM, CONTEXT)).toMatchObject({
      kind: 'claim',
      deviceID: 'eui-0004a30b001c0530',
      authenticationCode: 'ABCD1234',
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
    });
  });

  it('takes the LoRaWAN version and the latest Regional Parameters that go with it', () => {
    expect(
      parseClaimDeviceAttributes({ ...CLAIM, lorawanVersion: '1.0.4' }, CONTEXT),
    ).toMatchObject({ lorawanVersion: 'MAC_V1_0_4', lorawanPhyVersion: 'RP002_V1_0_4' });
  });

  it('uppercases a claim code typed in lowercase', () => {
    expect(
      parseClaimDeviceAttributes({ ...CLAIM, claimAuthenticationCode: 'abcd1234' }, CONTEXT)
        .authenticationCode,
    ).toBe('ABCD1234');
  });

  it.each([
    ['with punctuation', 'ABC-123'],
    ['longer than 32 characters', 'A'.repeat(33)],
  ])('refuses a claim code %s without repeating it', (_case, code) => {
    const problems = problemsOf(() =>
      parseClaimDeviceAttributes({ ...CLAIM, claimAuthenticationCode: code }, CONTEXT),
    );
    expect(problems).toEqual([
      "claimAuthenticationCode is invalid: use the code from the device's label, 1 to 32 letters and digits",
    ]);
  });

  it('refuses a claim without a JoinEUI', () => {
    const { joinEUI: _joinEUI, ...claim } = CLAIM;
    expect(problemsOf(() => parseClaimDeviceAttributes(claim, CONTEXT))).toEqual([
      expect.stringContaining('joinEUI is missing'),
    ]);
  });
});

describe('wrapped secret attributes (wrapped:<kekLabel>:<hex>)', () => {
  const KEK = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));
  const WITH_RING: DeviceAttributeContext = {
    ...CONTEXT,
    kekRing: new KekRing('kek1', { kek1: KEK }),
    kekSecretID: 'tts-prod/kek',
  };
  const wrap = (bytes: Uint8Array, pad = false) =>
    `wrapped:kek1:${toHex(pad ? wrapKeyWithPadding(KEK, bytes) : wrapKey(KEK, bytes))}`;

  it('unwraps an appKey under the ring and lists every label in wrappedSecretLabels', () => {
    const appKey = wrap(Uint8Array.from(Buffer.from(APP_KEY, 'hex')));
    expect(toHex(parseOtaaDeviceAttributes({ ...VALID, appKey }, WITH_RING).appKey)).toBe(APP_KEY);
    expect(wrappedSecretLabels({ ...VALID, appKey, nwkKey: 'wrapped:k:2:00' })).toEqual([
      'kek1',
      'k:2',
    ]);
    expect(wrappedSecretLabels(VALID)).toEqual([]);
  });

  it('refuses a wrapped claim code that unwraps to no claim code, without repeating it', () => {
    const code = wrap(Uint8Array.from(Buffer.from('K7X2-P9Q4', 'latin1')), true);
    const problems = problemsOf(() =>
      parseClaimDeviceAttributes(
        { devEUI: VALID.devEUI, joinEUI: VALID.joinEUI, claimAuthenticationCode: code },
        WITH_RING,
      ),
    );
    expect(problems).toEqual([
      "claimAuthenticationCode unwraps to no claim authentication code: wrap the code from the device's label, 1 to 32 letters and digits (npx keywrap attribute --code)",
    ]);
  });

  it('removes every secret after a final failure and records a code attribute values can hold', () => {
    expect(failedProvisioningAttributes('end device (taken)')).toEqual({
      appKey: null,
      nwkKey: null,
      claimAuthenticationCode: null,
      provisioningFailed: 'end_device__taken_',
    });
  });
});

// Device Repository devices at creation: brandID, modelID, firmwareVersion, hardwareVersion and
// bandID become the TTS device's version_ids, validated with the other attributes.
const REPOSITORY_MODEL = {
  brandID: 'the-things-products',
  modelID: 'the-things-uno',
  firmwareVersion: '1.0',
  hardwareVersion: '1.0',
  bandID: 'EU_863_870',
};

describe('Device Repository attributes', () => {
  it('gives a created device the version_ids of its model', () => {
    expect(
      parseOtaaDeviceAttributes({ ...VALID, ...REPOSITORY_MODEL }, CONTEXT).versionIDs,
    ).toEqual(REPOSITORY_MODEL);
  });

  it('gives a claimed device the version_ids of its model, without a hardware version', () => {
    const { hardwareVersion: _left, appKey: _key, ...rest } = { ...VALID, ...REPOSITORY_MODEL };
    const spec = parseClaimDeviceAttributes(
      { ...rest, claimAuthenticationCode: 'ABC123' },
      CONTEXT,
    );
    expect(spec.versionIDs).toEqual({
      brandID: 'the-things-products',
      modelID: 'the-things-uno',
      firmwareVersion: '1.0',
      bandID: 'EU_863_870',
    });
  });

  it('registers no model for a thing without these attributes', () => {
    expect(parseOtaaDeviceAttributes(VALID, CONTEXT).versionIDs).toBeUndefined();
  });

  it.each([
    ['EU863-870', 'EU_863_870'],
    ['AS923-2', 'AS_923_2'],
    ['US902-928', 'US_902_928'],
    ['ISM2400', 'ISM_2400'],
  ])("takes the repository's band %s as TTS's band %s", (given, band) => {
    const spec = parseOtaaDeviceAttributes(
      { ...VALID, ...REPOSITORY_MODEL, bandID: given },
      CONTEXT,
    );
    expect(spec.versionIDs?.bandID).toBe(band);
  });

  it('names every missing model attribute, with the other problems of the thing', () => {
    const problems = problemsOf(() =>
      parseOtaaDeviceAttributes({ ...VALID, joinEUI: 'nope', brandID: 'acme' }, CONTEXT),
    );
    expect(problems).toEqual([
      expect.stringContaining('joinEUI "nope" is invalid'),
      expect.stringMatching(/^modelID is missing: a Device Repository device \(brandID set\)/),
      expect.stringMatching(/^firmwareVersion is missing/),
      expect.stringMatching(/^bandID is missing/),
    ]);
  });

  it('refuses malformed model attributes, each by name', () => {
    const problems = problemsOf(() =>
      parseOtaaDeviceAttributes(
        {
          ...VALID,
          brandID: 'Acme Corp',
          modelID: 'x',
          firmwareVersion: '1'.repeat(33),
          bandID: 'europe',
        },
        CONTEXT,
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^brandID "Acme Corp" is invalid/),
      expect.stringMatching(/^modelID "x" is invalid/),
      expect.stringMatching(/^firmwareVersion is invalid: .* at most 32 characters \(got 33\)/),
      expect.stringMatching(/^bandID "europe" is invalid: use a TTS band ID/),
    ]);
  });

  it('says a hardware version alone is not enough', () => {
    const problems = problemsOf(() =>
      parseOtaaDeviceAttributes({ ...VALID, hardwareVersion: '2.0' }, CONTEXT),
    );
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(
      /^brandID is missing: a Device Repository device \(hardwareVersion set\)/,
    );
  });
});
