import type { IoTClient } from '@aws-sdk/client-iot';
import {
  customResourceHandler,
  IotThingTypeAdmin,
  type CustomResourceEvent,
  type ThingTypeRecord,
} from '@tts-aws-iot/aws';
import { InputError } from '@tts-aws-iot/integration';

import {
  SEARCHABLE_ATTRIBUTES,
  thingTypeResource,
  type ThingTypeProperties,
  type ThingTypeSetup,
} from '../src/thing-type';
import { startCloudFormationReceiver } from '@tts-aws-iot/test-kit';

/** An in-memory IoT account: thing types, the event setting and the endpoint. */
class FakeIot implements ThingTypeSetup {
  readonly types = new Map<string, ThingTypeRecord>();
  thingEventsEnabled = false;
  readonly calls: string[] = [];

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
  async enableThingEvents() {
    this.thingEventsEnabled = true;
  }
  async describeDataEndpoint() {
    return 'a1b2c3-ats.iot.eu-west-1.amazonaws.com';
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

function create(thingTypeName: string): CustomResourceEvent<ThingTypeProperties> {
  return {
    ...common,
    RequestType: 'Create',
    ResourceProperties: { ServiceToken: common.ServiceToken, ThingTypeName: thingTypeName },
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

function remove(physicalResourceId: string): CustomResourceEvent<ThingTypeProperties> {
  return {
    ...common,
    RequestType: 'Delete',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: { ServiceToken: common.ServiceToken, ThingTypeName: physicalResourceId },
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
