/**
 * Device Repository devices at creation: the thing attributes `brandID`, `modelID`,
 * `firmwareVersion`, `hardwareVersion` and `bandID` become the TTS device's `version_ids`,
 * validated with the other attributes (every problem in one error, each naming its attribute).
 */
import {
  parseClaimDeviceAttributes,
  parseOtaaDeviceAttributes,
  type DeviceAttributeContext,
} from '../src/device-attributes';
import { InputError } from '../src/errors';

const CONTEXT: DeviceAttributeContext = {
  thingName: '0004A30B001C0530',
  stackName: 'tts-prod',
  thingNameScheme: 'DevEUI',
  defaultFrequencyPlanID: 'EU_863_870_TTN',
};
const DEVICE = {
  devEUI: '0004A30B001C0530',
  joinEUI: '70B3D57ED0000000',
  lorawanVersion: '1.0.3',
  regionalParametersVersion: '1.0.3-a',
  appKey: '2B7E151628AED2A6ABF7158809CF4F3C',
};
const MODEL = {
  brandID: 'the-things-products',
  modelID: 'the-things-uno',
  firmwareVersion: '1.0',
  hardwareVersion: '1.0',
  bandID: 'EU_863_870',
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

describe('Device Repository attributes', () => {
  it('gives a created device the version_ids of its model', () => {
    expect(parseOtaaDeviceAttributes({ ...DEVICE, ...MODEL }, CONTEXT).versionIDs).toEqual(MODEL);
  });

  it('gives a claimed device the version_ids of its model, without a hardware version', () => {
    const { hardwareVersion: _left, appKey: _key, ...rest } = { ...DEVICE, ...MODEL };
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
    expect(parseOtaaDeviceAttributes(DEVICE, CONTEXT).versionIDs).toBeUndefined();
  });

  it.each([
    ['EU863-870', 'EU_863_870'],
    ['AS923-2', 'AS_923_2'],
    ['US902-928', 'US_902_928'],
    ['ISM2400', 'ISM_2400'],
  ])("takes the repository's band %s as TTS's band %s", (given, band) => {
    const spec = parseOtaaDeviceAttributes({ ...DEVICE, ...MODEL, bandID: given }, CONTEXT);
    expect(spec.versionIDs?.bandID).toBe(band);
  });

  it('names every missing model attribute, with the other problems of the thing', () => {
    const problems = problemsOf(() =>
      parseOtaaDeviceAttributes({ ...DEVICE, joinEUI: 'nope', brandID: 'acme' }, CONTEXT),
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
          ...DEVICE,
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
      parseOtaaDeviceAttributes({ ...DEVICE, hardwareVersion: '2.0' }, CONTEXT),
    );
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(
      /^brandID is missing: a Device Repository device \(hardwareVersion set\)/,
    );
  });
});
