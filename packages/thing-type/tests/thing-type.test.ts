import type { IoTClient } from '@aws-sdk/client-iot';
import {
  customResourceHandler,
  IotThingTypeAdmin,
  type CustomResourceEvent,
  type ThingPage,
  type ThingTypeRecord,
} from '@tts-aws-iot/aws';
import { InputError } from '@tts-aws-iot/integration';

import {
  SEARCHABLE_ATTRIBUTES,
  thingTypeResource,
  type ThingTypeLog,
  type ThingTypeProperties,
  type ThingTypeSetup,
} from '../src/thing-type';
import { startCloudFormationReceiver } from '@tts-aws-iot/test-kit';

/** An in-memory IoT account: thing types, things, the event setting and the endpoint. */
class FakeIot implements ThingTypeSetup {
  readonly types = new Map<string, ThingTypeRecord>();
  readonly things: {
    thingName: string;
    thingTypeName: string;
    attributes: Record<string, string>;
  }[] = [];
  thingEventsEnabled = false;
  readonly calls: string[] = [];
  /** Things per ListThings page (AWS answers up to 250; small pages exercise paging). */
  pageSize = 2;
  listFailure: Error | undefined;

  async describeThingType(name: string) {
    return this.types.get(name);
  }
  async createThingType(name: string, properties: { searchableAttributes: readonly string[] }) {
    this.calls.push(`create ${name}`);
    this.types.set(name, {
      thingTypeName: name,
      deprecated: false,
      searchableAttributes: [...properties.searchableAttributes],
    });
  }
  async setThingTypeDeprecated(name: string, deprecated: boolean) {
    this.calls.push(`${deprecated ? 'deprecate' : 'undeprecate'} ${name}`);
    const type = this.types.get(name);
    if (!type) return false;
    this.types.set(name, { ...type, deprecated });
    return true;
  }
  async listThingsOfType(name: string, page: { nextToken?: string }): Promise<ThingPage> {
    this.calls.push(`list ${name}${page.nextToken ? ` from ${page.nextToken}` : ''}`);
    if (this.listFailure) throw this.listFailure;
    const ofType = this.things.filter((thing) => thing.thingTypeName === name);
    const start = Number(page.nextToken ?? 0);
    const end = start + this.pageSize;
    return {
      things: ofType
        .slice(start, end)
        .map(({ thingName, attributes }) => ({ thingName, attributes })),
      ...(end < ofType.length ? { nextToken: String(end) } : {}),
    };
  }
  async enableThingEvents() {
    this.thingEventsEnabled = true;
  }
  async describeDataEndpoint() {
    return 'a1b2c3-ats.iot.eu-west-1.amazonaws.com';
  }

  /** `count` things of `stackName` (none: no stackName attribute) of the type. */
  addThings(thingTypeName: string, stackName: string | undefined, count: number) {
    for (let i = 0; i < count; i++) {
      const devEUI = (this.things.length + 1).toString(16).toUpperCase().padStart(16, '0');
      this.things.push({
        thingName: devEUI,
        thingTypeName,
        attributes: { devEUI, ...(stackName ? { stackName } : {}) },
      });
    }
  }
}

/** Records what the logic logs. */
class RecordingLog implements ThingTypeLog {
  readonly lines: {
    level: 'info' | 'warn';
    message: string;
    attributes: Record<string, unknown>;
  }[] = [];
  info(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, attributes });
  }
}

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:CreateThingType',
  ResponseURL: 'http://127.0.0.1/unused',
  StackId:
    'arn:aws:cloudformation:eu-west-1:123456789012:stack/tts/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
  RequestId: 'f7e6d5c4-0000-1111-2222-333344445555',
  LogicalResourceId: 'ThingType',
  ResourceType: 'Custom::ThingType',
};

function create(
  thingTypeName: string,
  stackName?: string,
): CustomResourceEvent<ThingTypeProperties> {
  return {
    ...common,
    RequestType: 'Create',
    ResourceProperties: {
      ServiceToken: common.ServiceToken,
      ThingTypeName: thingTypeName,
      ...(stackName === undefined ? {} : { StackName: stackName }),
    },
  };
}

function update(thingTypeName: string, previous: string): CustomResourceEvent<ThingTypeProperties> {
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: previous,
    ResourceProperties: { ServiceToken: common.ServiceToken, ThingTypeName: thingTypeName },
    OldResourceProperties: { ThingTypeName: previous },
  };
}

/** A Delete; `stackName: null` leaves the StackName out, as stacks deployed before it do. */
function remove(
  physicalResourceId: string,
  stackName: string | null = 'tts',
): CustomResourceEvent<ThingTypeProperties> {
  return {
    ...common,
    RequestType: 'Delete',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: {
      ServiceToken: common.ServiceToken,
      ThingTypeName: physicalResourceId,
      ...(stackName === null ? {} : { StackName: stackName }),
    },
  };
}

describe('thingTypeResource', () => {
  it('creates the thing type with the searchable attributes, turns on thing events and returns the endpoint', async () => {
    const iot = new FakeIot();
    await expect(thingTypeResource(iot)(create('lorawan'))).resolves.toEqual({
      physicalResourceId: 'lorawan',
      data: { EndpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com' },
    });
    expect(iot.types.get('lorawan')).toEqual({
      thingTypeName: 'lorawan',
      deprecated: false,
      searchableAttributes: ['devEUI', 'stackName'],
    });
    expect(iot.thingEventsEnabled).toBe(true);
  });

  it('adopts an existing thing type and revives it when a deleted stack deprecated it', async () => {
    const iot = new FakeIot();
    iot.types.set('lorawan', {
      thingTypeName: 'lorawan',
      deprecated: true,
      searchableAttributes: [...SEARCHABLE_ATTRIBUTES],
    });
    await thingTypeResource(iot)(create('lorawan'));
    expect(iot.calls).toEqual(['undeprecate lorawan']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(false);
  });

  it('leaves the thing type alone on an update that keeps the name', async () => {
    const iot = new FakeIot();
    const logic = thingTypeResource(iot);
    await logic(create('lorawan'));
    iot.calls.length = 0;
    await expect(logic(update('lorawan', 'lorawan'))).resolves.toMatchObject({
      physicalResourceId: 'lorawan',
    });
    expect(iot.calls).toEqual([]);
  });

  it('answers a new PhysicalResourceId when the name changes, leaving the old type to the Delete', async () => {
    const iot = new FakeIot();
    const logic = thingTypeResource(iot);
    await logic(create('lorawan'));
    await expect(logic(update('lorawan-eu', 'lorawan'))).resolves.toMatchObject({
      physicalResourceId: 'lorawan-eu',
    });
    expect(iot.types.get('lorawan')?.deprecated).toBe(false);
    expect(iot.types.has('lorawan-eu')).toBe(true);
  });

  it('refuses an invalid name with a clear input error', async () => {
    const attempt = thingTypeResource(new FakeIot())(create('lora wan'));
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_thing_type_name',
      message: expect.stringContaining('"lora wan"'),
    });
  });

  it('refuses a name that is not a string (a list in the template) as an invalid name', async () => {
    const event = create('lorawan');
    const listed = {
      ...event,
      ResourceProperties: { ...event.ResourceProperties, ThingTypeName: ['lorawan'] },
    } as unknown as CustomResourceEvent<ThingTypeProperties>;
    await expect(thingTypeResource(new FakeIot())(listed)).rejects.toMatchObject({
      code: 'invalid_thing_type_name',
      message: 'ThingTypeName an array is invalid: use 1 to 128 letters, digits, ":", "_" or "-".',
    });
  });

  it('accepts the StackName on Create and refuses a malformed one as a template error', async () => {
    const iot = new FakeIot();
    await expect(thingTypeResource(iot)(create('lorawan', 'tts'))).resolves.toMatchObject({
      physicalResourceId: 'lorawan',
    });
    const attempt = thingTypeResource(iot)(create('lorawan', 'tts/eu'));
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_stack_name',
      message: expect.stringContaining('"tts/eu"'),
    });
  });

  it('deprecates the thing type on Delete and leaves thing events on', async () => {
    const iot = new FakeIot();
    const logic = thingTypeResource(iot);
    await logic(create('lorawan'));
    await expect(logic(remove('lorawan'))).resolves.toEqual({ physicalResourceId: 'lorawan' });
    expect(iot.types.get('lorawan')?.deprecated).toBe(true);
    expect(iot.thingEventsEnabled).toBe(true);
  });

  it('succeeds on Delete when the thing type is already gone', async () => {
    await expect(thingTypeResource(new FakeIot())(remove('lorawan'))).resolves.toEqual({
      physicalResourceId: 'lorawan',
    });
  });

  it('touches nothing on Delete of a PhysicalResourceId that is no thing type name', async () => {
    const iot = new FakeIot();
    await thingTypeResource(iot)(remove('2026/01/01/[$LATEST]abcdef'));
    expect(iot.calls).toEqual([]);
  });
});

describe('thingTypeResource on Delete of a thing type other stacks may share', () => {
  function setUp() {
    const iot = new FakeIot();
    iot.types.set('lorawan', {
      thingTypeName: 'lorawan',
      deprecated: false,
      searchableAttributes: [...SEARCHABLE_ATTRIBUTES],
    });
    const log = new RecordingLog();
    return { iot, log, logic: thingTypeResource(iot, { log, maxThingPages: 3 }) };
  }

  it('deprecates the type when every thing of it, over several pages, is of this stack or of none', async () => {
    const { iot, log, logic } = setUp();
    iot.addThings('lorawan', 'tts', 3);
    iot.addThings('lorawan', undefined, 1);
    iot.addThings('other-type', 'tts-2', 1);

    await expect(logic(remove('lorawan'))).resolves.toEqual({ physicalResourceId: 'lorawan' });

    expect(iot.calls).toEqual(['list lorawan', 'list lorawan from 2', 'deprecate lorawan']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(true);
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'Thing type lorawan deprecated: none of its 4 things belongs to another stack.',
        attributes: { thing_type_name: 'lorawan', stack_name: 'tts', scanned_things: 4 },
      },
    ]);
  });

  it('deprecates the type when no thing of it is left', async () => {
    const { iot, logic } = setUp();
    await logic(remove('lorawan'));
    expect(iot.calls).toEqual(['list lorawan', 'deprecate lorawan']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(true);
  });

  it("keeps the type when a thing of another stack has it, and reads no further than that thing's page", async () => {
    const { iot, log, logic } = setUp();
    iot.addThings('lorawan', 'tts', 3);
    iot.addThings('lorawan', 'tts-eu', 1);
    iot.addThings('lorawan', 'tts', 4);

    await expect(logic(remove('lorawan'))).resolves.toEqual({ physicalResourceId: 'lorawan' });

    expect(iot.calls).toEqual(['list lorawan', 'list lorawan from 2']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(false);
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'Thing type lorawan kept: thing 0000000000000004 belongs to stack tts-eu.',
        attributes: {
          thing_type_name: 'lorawan',
          stack_name: 'tts',
          scanned_things: 4,
          thing_name: '0000000000000004',
          owner_stack_name: 'tts-eu',
        },
      },
    ]);
  });

  it('keeps the type, and says how to deprecate it, when more things remain after the last page it may read', async () => {
    const { iot, log, logic } = setUp();
    iot.addThings('lorawan', 'tts', 6);
    iot.addThings('lorawan', 'tts-eu', 1);

    await logic(remove('lorawan'));

    expect(iot.calls).toEqual(['list lorawan', 'list lorawan from 2', 'list lorawan from 4']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(false);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(
          /^Thing type lorawan kept: its first 6 things .* more remain unread\. .*aws iot deprecate-thing-type --thing-type-name lorawan\.$/,
        ),
        attributes: { thing_type_name: 'lorawan', stack_name: 'tts', scanned_things: 6 },
      },
    ]);
  });

  it('deprecates the type when the last page it may read is the last page there is', async () => {
    const { iot, logic } = setUp();
    iot.addThings('lorawan', 'tts', 6);
    await logic(remove('lorawan'));
    expect(iot.types.get('lorawan')?.deprecated).toBe(true);
  });

  it('keeps the type and still succeeds when its things cannot be listed', async () => {
    const { iot, log, logic } = setUp();
    const failure = new Error('IoT ListThings failed');
    iot.listFailure = failure;

    await expect(logic(remove('lorawan'))).resolves.toEqual({ physicalResourceId: 'lorawan' });

    expect(iot.calls).toEqual(['list lorawan']);
    expect(iot.types.get('lorawan')?.deprecated).toBe(false);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: expect.stringContaining('Thing type lorawan kept: its things could not be listed'),
        attributes: { thing_type_name: 'lorawan', stack_name: 'tts', error: failure },
      },
    ]);
  });

  it('counts every stack as another when the Delete carries no usable StackName (a stack deployed before it)', async () => {
    for (const stackName of [null, '', 'not a stack']) {
      const { iot, log, logic } = setUp();
      iot.addThings('lorawan', 'tts', 1);

      await logic(remove('lorawan', stackName));

      expect(iot.types.get('lorawan')?.deprecated).toBe(false);
      expect(log.lines[0]).toMatchObject({
        level: 'info',
        message:
          'Thing type lorawan kept: thing 0000000000000001 names stack tts, and this request carries no StackName to tell whether that is this stack.',
        attributes: { stack_name: null },
      });
    }
  });

  it('deprecates a type without a StackName when no thing of it names a stack', async () => {
    const { iot, logic } = setUp();
    iot.addThings('lorawan', undefined, 3);
    await logic(remove('lorawan', null));
    expect(iot.types.get('lorawan')?.deprecated).toBe(true);
  });

  it('logs that a type already gone needs nothing', async () => {
    const { iot, log, logic } = setUp();
    iot.types.clear();
    await expect(logic(remove('lorawan'))).resolves.toEqual({ physicalResourceId: 'lorawan' });
    expect(log.lines).toMatchObject([
      { level: 'info', message: 'Thing type lorawan is gone already.' },
    ]);
  });
});

describe('CreateThingType on the IoT API (success path; the emulator lacks UpdateEventConfigurations)', () => {
  it('sends the IoT calls in order and answers SUCCESS with the endpoint address', async () => {
    const sent: { name: string; input: unknown }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        switch (command.constructor.name) {
          case 'DescribeThingTypeCommand':
            throw Object.assign(new Error('not found'), {
              name: 'ResourceNotFoundException',
              $metadata: { httpStatusCode: 404 },
            });
          case 'DescribeEndpointCommand':
            return { endpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com' };
          default:
            return {};
        }
      },
    } as unknown as IoTClient;
    const receiver = await startCloudFormationReceiver();
    try {
      const handler = customResourceHandler(thingTypeResource(new IotThingTypeAdmin(client)));
      await handler({ ...create('lorawan'), ResponseURL: receiver.url() });

      expect(sent).toEqual([
        { name: 'DescribeThingTypeCommand', input: { thingTypeName: 'lorawan' } },
        {
          name: 'CreateThingTypeCommand',
          input: {
            thingTypeName: 'lorawan',
            thingTypeProperties: {
              searchableAttributes: ['devEUI', 'stackName'],
              thingTypeDescription: expect.any(String),
            },
          },
        },
        {
          name: 'UpdateEventConfigurationsCommand',
          input: { eventConfigurations: { THING: { Enabled: true } } },
        },
        { name: 'DescribeEndpointCommand', input: { endpointType: 'iot:Data-ATS' } },
      ]);
      expect(receiver.received[0]!.json).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: 'lorawan',
        Data: { EndpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com' },
      });
    } finally {
      await receiver.close();
    }
  });
});
