import { connectAsync, type MqttClient } from 'mqtt';
import { mqttAddress } from '../src/broker';

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** An MQTT client that records what it receives, as any application would see it. */
export interface MqttListener {
  readonly messages: ReceivedMessage[];
  /** Resolves with the first message (already received or later) on `topic` that `accept` takes. */
  next(
    topic: string | RegExp,
    accept?: (message: ReceivedMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMessage>;
  publish(topic: string, payload: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function listen(url: string, filters: string[]): Promise<MqttListener> {
  const client: MqttClient = await connectAsync({
    ...mqttAddress(url),
    clientId: `test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
  });
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    messages.push({ topic, payload, json: () => JSON.parse(payload.toString()) });
    for (const wake of waiters) wake();
  });
  await client.subscribeAsync(filters, { qos: 1 });

  const matches = (topic: string | RegExp, message: ReceivedMessage) =>
    typeof topic === 'string' ? message.topic === topic : topic.test(message.topic);
  return {
    messages,
    next(topic, accept = () => true, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find((m) => matches(topic, m) && accept(m));
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `No message on ${String(topic)} within ${timeoutMs} ms; received: ${messages.map((m) => m.topic).join(', ') || 'nothing'}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async publish(topic, payload) {
      await client.publishAsync(
        topic,
        typeof payload === 'string' ? payload : JSON.stringify(payload),
        { qos: 1 },
      );
    },
    async close() {
      await client.endAsync();
    },
  };
}
