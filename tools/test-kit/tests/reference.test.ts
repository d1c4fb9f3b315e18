import { readFileSync } from 'node:fs';
import { describeWithSharedReference, lorawanVectors } from '../src';

describe('lorawanVectors', () => {
  it('reads every section of the published vectors', () => {
    const vectors = lorawanVectors();
    expect(vectors.keywrap_rfc3394.length).toBeGreaterThan(0);
    expect(vectors.data_frames_1_0.every((frame) => /^[0-9A-F]+$/i.test(frame.phyPayload))).toBe(
      true,
    );
    expect(vectors.rejoin_requests.length).toBeGreaterThan(0);
  });

  it('parses the file once per process', () => {
    expect(lorawanVectors()).toBe(lorawanVectors());
  });
});

describeWithSharedReference(
  "the repository's copy of the LoRaWAN vectors",
  'vectors/lorawan-vectors.json',
  (original) => {
    it('holds exactly the vectors of the workspace reference', () => {
      // Compared as JSON, so that reformatting the copy is allowed but changing a fact is not.
      expect(lorawanVectors()).toEqual(JSON.parse(readFileSync(original, 'utf8')));
    });
  },
);
