import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';

/** A message as it passes through the broker. */
export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** The MQTT client that published it, or `undefined` for in-process publishers (the HTTP API). */
  readonly clientId: string | undefined;
}

export type MessageHandler = (message: BrokerMessage) => void;

/** The IoT Core message broker stand-in: MQTT over TCP plus an in-process publish/subscribe. */
export interface Broker {
  /** e.g. `mqtt://127.0.0.1:1883` */
  readonly url: string;
  readonly port: number;
  /** Delivers `payload` to every subscriber of a matching filter, in-process and over MQTT. */
  publish(
    topic: string,
    payload: string | Buffer,
    options?: { readonly qos?: 0 | 1; readonly retain?: boolean },
  ): Promise<void>;
  /** Calls `handler` for every message on a topic matching `filter`; returns the unsubscribe function. */
  subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /**
   * Calls `handler` for every message published by anyone, with its publisher's client ID
   * (the traffic log, the rules); returns the function that stops it.
   */
  onMessage(handler: MessageHandler): () => void;
  close(): Promise<void>;
}

export interface BrokerOptions {
  readonly port?: number;
  readonly host?: string;
}

/** AWS IoT accepts client IDs up to 128 characters; aedes defaults to MQTT 3.1's 23. */
const MAX_CLIENT_ID_LENGTH = 128;

/** Starts aedes on `host:port` (defaults `127.0.0.1:1883`; port 0 picks a free one). */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker({ maxClientsIdLength: MAX_CLIENT_ID_LENGTH });
  const { server, sockets, port } = await listen(aedes, host, options.port ?? 1883);
  const listeners: MessageHandler[] = [];
  aedes.on('publish', (packet: AedesPublishPacket, client) => {
    // aedes' own heartbeats and client notices live under $SYS: not traffic.
    if (packet.topic.startsWith('$SYS/')) return;
    const message = {
      topic: packet.topic,
      payload: toBuffer(packet.payload),
      clientId: client?.id,
    };
    for (const listener of [...listeners]) listener(message);
  });
  return {
    url: `mqtt://${host}:${port}`,
    port,
    publish: (topic, payload, publishOptions = {}) =>
      publishIn(aedes, topic, payload, publishOptions),
    subscribe: (filter, handler) => subscribeIn(aedes, filter, handler),
    onMessage(handler) {
      listeners.push(handler);
      return () => {
        const index = listeners.indexOf(handler);
        if (index >= 0) listeners.splice(index, 1);
      };
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      // Clients that never sent DISCONNECT would keep the listener open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The TCP listener that hands each connection to aedes, and the connections it has. */
async function listen(
  aedes: Aedes,
  host: string,
  requestedPort: number,
): Promise<{ server: Server; sockets: Set<Socket>; port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return { server, sockets, port: typeof address === 'object' && address ? address.port : 0 };
}

function publishIn(
  aedes: Aedes,
  topic: string,
  payload: string | Buffer,
  options: { readonly qos?: 0 | 1; readonly retain?: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    aedes.publish(
      {
        cmd: 'publish',
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: options.qos ?? 0,
        retain: options.retain ?? false,
        dup: false,
      },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

function subscribeIn(
  aedes: Aedes,
  filter: string,
  handler: MessageHandler,
): Promise<() => Promise<void>> {
  const deliver = (packet: AedesPublishPacket, done: () => void) => {
    try {
      handler({ topic: packet.topic, payload: toBuffer(packet.payload), clientId: undefined });
    } finally {
      done();
    }
  };
  return new Promise((resolve) => {
    aedes.subscribe(filter, deliver, () =>
      resolve(() => new Promise<void>((done) => aedes.unsubscribe(filter, deliver, () => done()))),
    );
  });
}

/**
 * The connection options of `mqtt.connect` for a broker URL. Handing mqtt 5 the URL string
 * makes it call the deprecated `url.parse` (DEP0169 on Node 24).
 */
export function mqttAddress(url: string): { protocol: 'mqtt'; host: string; port: number } {
  const parsed = new URL(url);
  return { protocol: 'mqtt', host: parsed.hostname, port: Number(parsed.port || 1883) };
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
