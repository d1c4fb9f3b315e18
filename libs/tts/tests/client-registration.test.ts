import {
  deleteEndDeviceEverywhere,
  registerEndDevice,
  TtsApiError,
  TtsRegistrationError,
  type EndDeviceRegistration,
  type EndDeviceRegistryApi,
} from '../src';

type Method = keyof EndDeviceRegistryApi;

/** TTS's device registries in memory, recording calls; `failOn` makes a method throw. */
class FakeRegistry implements EndDeviceRegistryApi {
  readonly calls: Method[] = [];
  readonly components = {
    is: new Map<string, { devEUI: string; joinEUI: string; attributes?: Record<string, string> }>(),
    js: new Set<string>(),
    ns: new Set<string>(),
    as: new Set<string>(),
    claims: new Set<string>(),
  };
  readonly failures = new Map<Method, unknown>();

  failOn(method: Method, error: unknown): this {
    this.failures.set(method, error);
    return this;
  }

  private call(method: Method): void {
    this.calls.push(method);
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  async claimEndDevice(claim: Parameters<EndDeviceRegistryApi['claimEndDevice']>[0]) {
    this.call('claimEndDevice');
    if (this.components.claims.has(claim.deviceID)) throw apiError(409, 'already_exists');
    this.components.claims.add(claim.deviceID);
  }
  async unclaimEndDevice(ids: { deviceID: string }) {
    this.call('unclaimEndDevice');
    return this.components.claims.delete(ids.deviceID);
  }
  async createEndDevice(device: Parameters<EndDeviceRegistryApi['createEndDevice']>[0]) {
    this.call('createEndDevice');
    if (this.components.is.has(device.ids.deviceID)) throw apiError(409, 'end_device_id_taken');
    this.components.is.set(device.ids.deviceID, {
      devEUI: device.ids.devEUI,
      joinEUI: device.ids.joinEUI,
      attributes: { ...device.attributes },
    });
  }
  async getEndDevice(ids: { applicationID: string; deviceID: string }) {
    this.call('getEndDevice');
    const device = this.components.is.get(ids.deviceID);
    return device && { ...ids, attributes: {}, ...device };
  }
  async deleteEndDevice(ids: { deviceID: string }) {
    this.call('deleteEndDevice');
    return this.components.is.delete(ids.deviceID);
  }
  async setJoinServerDevice(device: { ids: { deviceID: string } }) {
    this.call('setJoinServerDevice');
    this.components.js.add(device.ids.deviceID);
  }
  async deleteJoinServerDevice(ids: { deviceID: string }) {
    this.call('deleteJoinServerDevice');
    return this.components.js.delete(ids.deviceID);
  }
  async setNetworkServerDevice(device: { ids: { deviceID: string } }) {
    this.call('setNetworkServerDevice');
    this.components.ns.add(device.ids.deviceID);
  }
  async deleteNetworkServerDevice(ids: { deviceID: string }) {
    this.call('deleteNetworkServerDevice');
    return this.components.ns.delete(ids.deviceID);
  }
  async setApplicationServerDevice(device: { ids: { deviceID: string } }) {
    this.call('setApplicationServerDevice');
    this.components.as.add(device.ids.deviceID);
  }
  async deleteApplicationServerDevice(ids: { deviceID: string }) {
    this.call('deleteApplicationServerDevice');
    return this.components.as.delete(ids.deviceID);
  }

  get registered(): string[] {
    const { is, js, ns, as, claims } = this.components;
    return [
      ...[...is.keys()].map((id) => `is:${id}`),
      ...[...js].map((id) => `js:${id}`),
      ...[...ns].map((id) => `ns:${id}`),
      ...[...as].map((id) => `as:${id}`),
      ...[...claims].map((id) => `claim:${id}`),
    ];
  }
}

function apiError(status: number, name: string, retryable = status >= 500): TtsApiError {
  return new TtsApiError(name, `TTS refused: ${name}`, status, retryable, 'pkg/test', 'c0ffee');
}

/** The 409 a retried create meets when its first, unanswered attempt landed after all. */
function ownConflict(name: string): TtsApiError {
  return new TtsApiError(
    name,
    `TTS refused: ${name}`,
    409,
    false,
    'pkg/test',
    'c0ffee',
    {},
    {
      afterUnansweredAttempt: true,
    },
  );
}

const IDS = {
  applicationID: 'app1',
  deviceID: 'dev1',
  devEUI: '0004A30B001C0530',
  joinEUI: '70B3D57ED0000000',
};
const KEYS: EndDeviceRegistration = {
  ids: IDS,
  serverAddress: 'tts.example',
  activation: { kind: 'keys', appKey: new Uint8Array(16).fill(1) },
  lorawanVersion: 'MAC_V1_0_3',
  lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
  frequencyPlanID: 'EU_863_870_TTN',
  marker: { key: 'aws-iot-stack', value: 'stack1' },
};
/** A device that an earlier run of KEYS or CLAIM registered on IS. */
const MARKED = {
  devEUI: IDS.devEUI,
  joinEUI: IDS.joinEUI,
  attributes: { 'aws-iot-stack': 'stack1' },
};
const CLAIM: EndDeviceRegistration = {
  ...KEYS,
  activation: { kind: 'claim', authenticationCode: 'ABC123' },
};

describe('registerEndDevice with root keys', () => {
  it('registers IS → JS → NS → AS', async () => {
    const tts = new FakeRegistry();
    await expect(registerEndDevice(tts, KEYS)).resolves.toEqual({ existed: false });
    expect(tts.calls).toEqual([
      'createEndDevice',
      'setJoinServerDevice',
      'setNetworkServerDevice',
      'setApplicationServerDevice',
    ]);
    expect(tts.registered).toEqual(['is:dev1', 'js:dev1', 'ns:dev1', 'as:dev1']);
  });

  it.each<[Method, Method[]]>([
    ['setJoinServerDevice', ['deleteJoinServerDevice', 'deleteEndDevice']],
    [
      'setNetworkServerDevice',
      ['deleteNetworkServerDevice', 'deleteJoinServerDevice', 'deleteEndDevice'],
    ],
    [
      'setApplicationServerDevice',
      [
        'deleteApplicationServerDevice',
        'deleteNetworkServerDevice',
        'deleteJoinServerDevice',
        'deleteEndDevice',
      ],
    ],
  ])('undoes every step, the failing one first, when %s fails', async (failing, undo) => {
    const failure = apiError(503, 'unavailable');
    const tts = new FakeRegistry().failOn(failing, failure);
    await expect(registerEndDevice(tts, KEYS)).rejects.toBe(failure);
    expect(tts.calls.slice(tts.calls.indexOf(failing) + 1)).toEqual(undo);
    expect(tts.registered).toEqual([]);
  });

  it('undoes the rest and tells which undo step failed', async () => {
    const tts = new FakeRegistry()
      .failOn('setNetworkServerDevice', apiError(400, 'invalid_frequency_plan'))
      .failOn('deleteJoinServerDevice', apiError(503, 'unavailable'));
    const undoFailures: string[] = [];
    await expect(
      registerEndDevice(tts, KEYS, (step) => undoFailures.push(step)),
    ).rejects.toMatchObject({ code: 'invalid_frequency_plan' });
    expect(undoFailures).toEqual(['Join Server']);
    expect(tts.registered).toEqual(['js:dev1']);
  });

  it('writes the marker into the Identity Server registration', async () => {
    const tts = new FakeRegistry();
    await registerEndDevice(tts, KEYS);
    expect(tts.components.is.get('dev1')?.attributes).toEqual({ 'aws-iot-stack': 'stack1' });
  });

  it('completes a device that an earlier run registered with the same EUIs, and never undoes it', async () => {
    const tts = new FakeRegistry();
    tts.components.is.set('dev1', MARKED);
    await expect(registerEndDevice(tts, KEYS)).resolves.toEqual({ existed: true });
    expect(tts.registered).toEqual(['is:dev1', 'js:dev1', 'ns:dev1', 'as:dev1']);

    const failing = new FakeRegistry().failOn(
      'setNetworkServerDevice',
      apiError(503, 'unavailable'),
    );
    failing.components.is.set('dev1', MARKED);
    await expect(registerEndDevice(failing, KEYS)).rejects.toMatchObject({ code: 'unavailable' });
    expect(failing.calls.filter((call) => call.startsWith('delete'))).toEqual([]);
  });

  it.each([
    ['without attributes', undefined],
    ['marked by another stack', { 'aws-iot-stack': 'stack2' }],
  ])(
    'refuses an existing device of the same EUIs %s with device_exists and writes no root keys',
    async (_, attributes) => {
      const tts = new FakeRegistry();
      tts.components.is.set('dev1', {
        devEUI: IDS.devEUI,
        joinEUI: IDS.joinEUI,
        ...(attributes ? { attributes } : {}),
      });
      const error = await registerEndDevice(tts, KEYS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TtsRegistrationError);
      expect(error).toMatchObject({ code: 'device_exists', retryable: false });
      expect((error as Error).message).toContain(
        'TTS device dev1 in application app1 exists already',
      );
      expect((error as Error).message).toContain('delete it in TTS and create the thing again');
      expect((error as Error).message).not.toContain('01010101');
      expect(tts.calls).toEqual(['createEndDevice', 'getEndDevice']);
      expect(tts.registered).toEqual(['is:dev1']);
    },
  );

  describe('with a registrant (the thing ID)', () => {
    const OWN = { ...KEYS, registrant: { key: 'aws-iot-thing-id', value: 'thing-2' } };

    it('writes the registrant next to the marker', async () => {
      const tts = new FakeRegistry();
      await registerEndDevice(tts, OWN);
      expect(tts.components.is.get('dev1')?.attributes).toEqual({
        'aws-iot-stack': 'stack1',
        'aws-iot-thing-id': 'thing-2',
      });
    });

    it('completes a marked device of the same registrant', async () => {
      const tts = new FakeRegistry();
      tts.components.is.set('dev1', {
        ...MARKED,
        attributes: { ...MARKED.attributes, 'aws-iot-thing-id': 'thing-2' },
      });
      await expect(registerEndDevice(tts, OWN)).resolves.toEqual({ existed: true });
    });

    it.each([
      ['a create', KEYS],
      ['a claim', CLAIM],
    ])(
      'refuses, retryably, %s for a marked device of another registrant (an earlier thing of the name): writes no root keys, undoes nothing',
      async (_, registration) => {
        const tts = new FakeRegistry();
        if (registration.activation.kind === 'claim') tts.components.claims.add('dev1');
        tts.components.is.set('dev1', {
          ...MARKED,
          attributes: { ...MARKED.attributes, 'aws-iot-thing-id': 'thing-1' },
        });
        const error = await registerEndDevice(tts, {
          ...registration,
          registrant: OWN.registrant,
        }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'device_of_earlier_thing', retryable: true });
        expect((error as Error).message).toContain('aws-iot-thing-id=thing-1');
        expect((error as Error).message).not.toContain('01010101');
        expect(tts.calls).not.toContain('setJoinServerDevice');
        expect(
          tts.calls.filter((call) => call.startsWith('delete') || call === 'unclaimEndDevice'),
        ).toEqual([]);
      },
    );

    it('refuses a device of another registrant met after an unanswered create attempt', async () => {
      const tts = new FakeRegistry().failOn('createEndDevice', ownConflict('end_device_id_taken'));
      tts.components.is.set('dev1', {
        ...MARKED,
        attributes: { ...MARKED.attributes, 'aws-iot-thing-id': 'thing-1' },
      });
      await expect(registerEndDevice(tts, OWN)).rejects.toMatchObject({
        code: 'device_of_earlier_thing',
      });
      expect(tts.calls).not.toContain('setJoinServerDevice');
      expect(tts.registered).toEqual(['is:dev1']);
    });

    it('completes a marked device without a registrant (registered before registrants were written)', async () => {
      const tts = new FakeRegistry();
      tts.components.is.set('dev1', MARKED);
      await expect(registerEndDevice(tts, OWN)).resolves.toEqual({ existed: true });
    });
  });

  it('undoes its own Identity Server create that landed on an unanswered attempt when a later step fails', async () => {
    const tts = new FakeRegistry();
    tts.createEndDevice = async (device) => {
      tts.calls.push('createEndDevice');
      tts.components.is.set(device.ids.deviceID, {
        devEUI: device.ids.devEUI,
        joinEUI: device.ids.joinEUI,
        attributes: { ...device.attributes },
      });
      throw ownConflict('end_device_euis_taken');
    };
    tts.failOn('setJoinServerDevice', apiError(400, 'invalid_key'));
    await expect(registerEndDevice(tts, KEYS)).rejects.toMatchObject({ code: 'invalid_key' });
    expect(tts.registered).toEqual([]);
  });

  it('refuses a device ID that IS has with other EUIs, and deletes nothing', async () => {
    const tts = new FakeRegistry();
    tts.components.is.set('dev1', { devEUI: '0004A30B001C0531', joinEUI: IDS.joinEUI });
    const error = await registerEndDevice(tts, KEYS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TtsRegistrationError);
    expect(error).toMatchObject({ code: 'device_id_taken', retryable: false });
    expect((error as Error).message).toContain('exists already with DevEUI 0004A30B001C0531');
    expect(tts.registered).toEqual(['is:dev1']);
  });

  it("passes on TTS's refusal when the EUIs belong to another device ID", async () => {
    const taken = apiError(409, 'end_device_euis_taken');
    const tts = new FakeRegistry().failOn('createEndDevice', taken);
    await expect(registerEndDevice(tts, KEYS)).rejects.toBe(taken);
    expect(tts.calls).toEqual(['createEndDevice', 'getEndDevice']);
  });
});

describe('registerEndDevice with a claim', () => {
  it('claims, then registers IS → NS → AS without the Join Server', async () => {
    const tts = new FakeRegistry();
    await registerEndDevice(tts, CLAIM);
    expect(tts.calls).toEqual([
      'claimEndDevice',
      'createEndDevice',
      'setNetworkServerDevice',
      'setApplicationServerDevice',
    ]);
  });

  it('releases the claim when a later step fails', async () => {
    const tts = new FakeRegistry().failOn(
      'setApplicationServerDevice',
      apiError(503, 'unavailable'),
    );
    await expect(registerEndDevice(tts, CLAIM)).rejects.toMatchObject({ code: 'unavailable' });
    // The claim goes before the IS registration, where the claiming server may look the device up.
    expect(tts.calls.slice(-4)).toEqual([
      'deleteApplicationServerDevice',
      'deleteNetworkServerDevice',
      'unclaimEndDevice',
      'deleteEndDevice',
    ]);
    expect(tts.registered).toEqual([]);
  });

  it.each([
    ['claiming_not_supported', 409, 'no Join Server that supports claiming serves this JoinEUI'],
    ['permission_denied', 403, 'check the claim authentication code'],
  ])('explains a %s refusal and registers nothing', async (name, status, advice) => {
    const tts = new FakeRegistry().failOn('claimEndDevice', apiError(status, name));
    const error = await registerEndDevice(tts, CLAIM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TtsRegistrationError);
    expect(error).toMatchObject({ code: name, retryable: false });
    expect((error as Error).message).toContain(
      `TTS refused to claim DevEUI 0004A30B001C0530 with JoinEUI 70B3D57ED0000000: ${advice}`,
    );
    expect(tts.registered).toEqual([]);
  });

  it('completes a claim that an earlier run made', async () => {
    const tts = new FakeRegistry();
    tts.components.claims.add('dev1');
    tts.components.is.set('dev1', MARKED);
    await expect(registerEndDevice(tts, CLAIM)).resolves.toEqual({ existed: true });
    expect(tts.registered).toEqual(['is:dev1', 'ns:dev1', 'as:dev1', 'claim:dev1']);
  });

  it('refuses a claimed device that this stack did not register with device_exists, and releases no claim', async () => {
    const tts = new FakeRegistry();
    tts.components.claims.add('dev1');
    tts.components.is.set('dev1', { devEUI: IDS.devEUI, joinEUI: IDS.joinEUI });
    await expect(registerEndDevice(tts, CLAIM)).rejects.toMatchObject({ code: 'device_exists' });
    expect(tts.calls).toEqual(['claimEndDevice', 'getEndDevice']);
    expect(tts.registered).toEqual(['is:dev1', 'claim:dev1']);
  });

  it('takes a 409 after an unanswered claim attempt as its own claim, and releases it on failure', async () => {
    const tts = new FakeRegistry();
    // The first attempt claimed, its answer was lost; the transport's retry met the claim.
    tts.claimEndDevice = async (claim) => {
      tts.calls.push('claimEndDevice');
      tts.components.claims.add(claim.deviceID);
      throw ownConflict('already_claimed');
    };
    tts.failOn('setNetworkServerDevice', apiError(400, 'invalid_frequency_plan'));
    await expect(registerEndDevice(tts, CLAIM)).rejects.toMatchObject({
      code: 'invalid_frequency_plan',
    });
    expect(tts.calls).toContain('unclaimEndDevice');
    expect(tts.registered).toEqual([]);
  });

  it('refuses a device claimed elsewhere', async () => {
    const tts = new FakeRegistry();
    tts.components.claims.add('dev1');
    await expect(registerEndDevice(tts, CLAIM)).rejects.toMatchObject({
      code: 'already_exists',
      message: expect.stringContaining('ask its owner to release it'),
    });
    expect(tts.calls).toEqual(['claimEndDevice', 'getEndDevice']);
  });

  it('lets a retryable claim failure through for the caller to retry', async () => {
    const failure = apiError(503, 'unavailable');
    const tts = new FakeRegistry().failOn('claimEndDevice', failure);
    await expect(registerEndDevice(tts, CLAIM)).rejects.toBe(failure);
  });
});

describe('deleteEndDeviceEverywhere', () => {
  it('deletes AS → NS → JS → IS, whatever is already gone', async () => {
    const tts = new FakeRegistry();
    tts.components.is.set('dev1', { devEUI: IDS.devEUI, joinEUI: IDS.joinEUI });
    tts.components.ns.add('dev1');
    await deleteEndDeviceEverywhere(tts, IDS);
    expect(tts.calls).toEqual([
      'deleteApplicationServerDevice',
      'deleteNetworkServerDevice',
      'deleteJoinServerDevice',
      'deleteEndDevice',
    ]);
    expect(tts.registered).toEqual([]);
  });

  it('releases the claim of a claimed device instead of deleting it from the Join Server', async () => {
    const tts = new FakeRegistry();
    tts.components.claims.add('dev1');
    tts.components.is.set('dev1', { devEUI: IDS.devEUI, joinEUI: IDS.joinEUI });
    await deleteEndDeviceEverywhere(tts, IDS, { claimed: true });
    expect(tts.calls).toEqual([
      'deleteApplicationServerDevice',
      'deleteNetworkServerDevice',
      'unclaimEndDevice',
      'deleteEndDevice',
    ]);
    expect(tts.registered).toEqual([]);
  });
});
