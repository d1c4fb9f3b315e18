import * as v from 'valibot';

import {
  checkInput,
  describeValue,
  fieldPath,
  isJsonObject,
  jsonObject,
  objectOf,
  parseJsonText,
  readerOf,
  readInput,
  type InputIssue,
} from '../src';

class FieldError extends Error {
  constructor(readonly issue: InputIssue) {
    super(
      `${issue.field || '(root)'} is ${describeValue(issue.value)}; expected ${issue.expected}`,
    );
  }
}

function refusalOf(schema: v.GenericSchema, input: unknown): InputIssue {
  try {
    readInput(schema, input, (issue) => new FieldError(issue));
  } catch (error) {
    if (error instanceof FieldError) return error.issue;
    throw error;
  }
  throw new Error('accepted');
}

const message = objectOf(
  {
    ids: objectOf({ device_id: v.string('a device ID') }, 'an object'),
    rx: v.array(objectOf({ snr: v.optional(v.number('a number')) }, 'an object'), 'an array'),
  },
  'a message',
);

describe('readInput', () => {
  it('returns the schema output, narrowed', () => {
    const out = readInput(message, { ids: { device_id: 'd1' }, rx: [{ snr: 1 }], extra: 1 }, () => {
      throw new Error('refused');
    });
    expect(out).toEqual({ ids: { device_id: 'd1' }, rx: [{ snr: 1 }] });
    expect(out.ids.device_id).toBe('d1');
  });

  it('names the field path of the first issue, the value found and what was expected', () => {
    const issue = refusalOf(message, {
      ids: { device_id: 'd1' },
      rx: [{ snr: 1 }, { snr: 'high' }],
    });
    expect(issue).toEqual({
      field: 'rx[1].snr',
      path: ['rx', 1, 'snr'],
      value: 'high',
      expected: 'a number',
      missing: false,
    });
  });

  it('says when a field is missing', () => {
    const issue = refusalOf(message, { rx: [] });
    expect(issue).toMatchObject({ field: 'ids', missing: true, value: undefined });
  });

  it('refuses an array where an object is expected, and names the root as empty', () => {
    expect(refusalOf(message, [])).toMatchObject({ field: '', value: [], expected: 'a message' });
    expect(refusalOf(message, { ids: ['d1'], rx: [] })).toMatchObject({
      field: 'ids',
      expected: 'an object',
    });
  });

  it('stops at the first issue', () => {
    const calls: string[] = [];
    const schema = v.object({
      a: v.pipe(
        v.string('a'),
        v.check(() => (calls.push('a'), false), 'bad a'),
      ),
      b: v.pipe(
        v.string('b'),
        v.check(() => (calls.push('b'), false), 'bad b'),
      ),
    });
    expect(refusalOf(schema, { a: 'x', b: 'y' }).expected).toBe('bad a');
    expect(calls).toEqual(['a']);
  });

  it('makes a reusable reader', () => {
    const read = readerOf(v.number('a number'), (issue) => new FieldError(issue));
    expect(read(3)).toBe(3);
    expect(() => read('3')).toThrow('(root) is "3"; expected a number');
  });
});

describe('checkInput', () => {
  it('returns the output, or the first issue as readInput hands it to a refusal, without throwing', () => {
    expect(checkInput(message, { ids: { device_id: 'd1' }, rx: [] })).toEqual({
      output: { ids: { device_id: 'd1' }, rx: [] },
    });
    const input = { ids: { device_id: 7 }, rx: [] };
    expect(checkInput(message, input)).toEqual({ issue: refusalOf(message, input) });
  });
});

describe('schema pieces', () => {
  it('fieldPath writes dots between keys and brackets around indexes, after a prefix', () => {
    expect(fieldPath(['a', 0, 'b', 'c', 2])).toBe('a[0].b.c[2]');
    expect(fieldPath([0, 'a'])).toBe('[0].a');
    expect(fieldPath(['x'], 'body')).toBe('body.x');
    expect(fieldPath([])).toBe('');
  });

  it('isJsonObject and jsonObject accept plain objects only', () => {
    expect([{}, { a: 1 }].map(isJsonObject)).toEqual([true, true]);
    expect([null, [], 'x', 1, undefined].map(isJsonObject)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(v.is(jsonObject('an object'), [])).toBe(false);
    expect(v.is(jsonObject('an object'), { a: 1 })).toBe(true);
  });

  it('objectOf takes a message function for issues of its entries', () => {
    const schema = objectOf(
      { a: v.string() },
      (issue) => `missing ${String(issue.path?.[0]?.key)}`,
    );
    expect(refusalOf(schema, {}).expected).toBe('missing a');
    expect(refusalOf(schema, []).expected).toBe('an object');
  });

  it('parseJsonText parses text, passes other values on and reports text that is not JSON', () => {
    expect(parseJsonText('{"a":1}')).toEqual({ json: { a: 1 } });
    expect(parseJsonText({ a: 1 })).toEqual({ json: { a: 1 } });
    expect(parseJsonText('{')).toHaveProperty('error');
  });

  it('describeValue keeps long strings out of messages', () => {
    expect(describeValue('x'.repeat(41))).toBe('a string');
    expect(describeValue('high')).toBe('"high"');
    expect([null, undefined, [], 3, true, {}].map(describeValue)).toEqual([
      'null',
      'missing',
      'an array',
      '3',
      'true',
      'an object',
    ]);
  });
});
