import {
  provisioningLogFromEnvironment,
  withProvisioningLog,
  type ProvisioningLogEntry,
} from '../src';

describe('provisioningLogFromEnvironment', () => {
  it('is undefined without PROVISIONING_LOG_GROUP', () => {
    expect(provisioningLogFromEnvironment({}, { warn: () => undefined })).toBeUndefined();
    expect(
      provisioningLogFromEnvironment({ PROVISIONING_LOG_GROUP: ' ' }, { warn: () => undefined }),
    ).toBeUndefined();
  });

  it('names the group and reports a failed write as a warning with the thing and the group', () => {
    const warnings: [string, Readonly<Record<string, unknown>>][] = [];
    const option = provisioningLogFromEnvironment(
      { PROVISIONING_LOG_GROUP: '/thethings/lorawan/s/things' },
      { warn: (message, attributes) => void warnings.push([message, attributes]) },
    );
    expect(option?.logGroupName).toBe('/thethings/lorawan/s/things');
    expect(option?.createGroupWithRetentionInDays).toBeUndefined();
    option?.onFailure(new Error('AccessDenied'), 'T1');
    expect(warnings).toEqual([
      [
        "Could not write the thing's provisioning history.",
        { thing_name: 'T1', log_group: '/thethings/lorawan/s/things', error: 'AccessDenied' },
      ],
    ]);
  });
});

describe('provisioningLogFromEnvironment for an adopted group', () => {
  it('creates it again with PROVISIONING_LOG_RETENTION_DAYS, a whole number of days', () => {
    const env = { PROVISIONING_LOG_GROUP: '/g', PROVISIONING_LOG_RETENTION_DAYS: '731' };
    const warn = { warn: () => undefined };
    expect(provisioningLogFromEnvironment(env, warn)?.createGroupWithRetentionInDays).toBe(731);
    for (const days of ['', 'x', '0', '1.5'])
      expect(
        provisioningLogFromEnvironment({ ...env, PROVISIONING_LOG_RETENTION_DAYS: days }, warn)
          ?.createGroupWithRetentionInDays,
      ).toBeUndefined();
  });
});

describe('withProvisioningLog', () => {
  it('appends outcomes on lorawan/<thing>/provisioning only, after publishing them', async () => {
    const order: string[] = [];
    const appended: [string, ProvisioningLogEntry][] = [];
    const publisher = withProvisioningLog(
      { publish: async (topic) => void order.push(`publish ${topic}`) },
      {
        append: async (thing, entry) => {
          order.push(`append ${thing}`);
          appended.push([thing, entry]);
        },
      },
      () => undefined,
    );
    await publisher.publish('lorawan/T1/provisioning', { status: 'deleted', deviceID: 'd' });
    await publisher.publish('lorawan/T1/uplink', { status: 'x' });
    await publisher.publish('lorawan/T1/provisioning', 'not an outcome');
    expect(order).toEqual([
      'publish lorawan/T1/provisioning',
      'append T1',
      'publish lorawan/T1/uplink',
      'publish lorawan/T1/provisioning',
    ]);
    expect(appended).toEqual([['T1', { status: 'deleted', deviceID: 'd' }]]);
  });

  it('does not append when the publish fails (the outcome was not told)', async () => {
    const appended: string[] = [];
    const publisher = withProvisioningLog(
      { publish: () => Promise.reject(new Error('throttled')) },
      { append: async (thing) => void appended.push(thing) },
      () => undefined,
    );
    await expect(
      publisher.publish('lorawan/T1/provisioning', { status: 'created' }),
    ).rejects.toThrow('throttled');
    expect(appended).toEqual([]);
  });
});
