import { readApplicationUp, republishedMessage } from '../../src/traffic/application-up';
import { InputError } from '../../src/errors';

const ids = {
  device_id: 'dev-1',
  application_ids: { application_id: 'app-1' },
  dev_eui: '0004A30B001C0530',
};

describe('readApplicationUp', () => {
  it('turns a parse failure into an InputError with the same code and field', () => {
    const error = (() => {
      try {
        return readApplicationUp({ end_device_ids: ids, uplink_message: { f_cnt: 'x' } });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      code: 'invalid_field',
      retryable: false,
      attributes: { field: 'uplink_message.f_cnt' },
    });
  });
});

describe('republishedMessage', () => {
  it('adds thingName and keeps every TTS field, including ones this project does not know', () => {
    const raw = {
      end_device_ids: ids,
      correlation_ids: ['c'],
      uplink_message: { f_port: 1, frm_payload: 'AQ==', new_field: { x: 1 } },
    };
    expect(republishedMessage(readApplicationUp(raw), 'T')).toEqual({ ...raw, thingName: 'T' });
  });

  it('removes the session key from uplinks and join-accepts and puts the plaintext in', () => {
    const up = readApplicationUp({
      end_device_ids: ids,
      uplink_message: {
        f_port: 1,
        frm_payload: 'z/MLTg==',
        app_s_key: { encrypted_key: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l', kek_label: 'k' },
      },
    });
    const message = republishedMessage(up, 'T', new Uint8Array([1, 2, 3, 4]));
    expect(message['uplink_message']).toEqual({ f_port: 1, frm_payload: 'AQIDBA==' });
    const join = readApplicationUp({
      end_device_ids: ids,
      join_accept: {
        app_s_key: { key: '2B7E151628AED2A6ABF7158809CF4F3C' },
        session_key_id: 'AYpZ',
      },
    });
    expect(republishedMessage(join, 'T')['join_accept']).toEqual({ session_key_id: 'AYpZ' });
    // The parsed message is left as TTS sent it.
    expect((up.raw['uplink_message'] as Record<string, unknown>)['app_s_key']).toBeDefined();
  });
});
