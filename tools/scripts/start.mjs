// `npm start`: the local stack. Until tools/local exists, say what is available.
import { existsSync } from 'node:fs';

if (existsSync('tools/local/src/main.ts')) {
  await import('../local/start.mjs');
} else {
  console.log(`tts-aws-iot: the local stack (tools/local) is not built yet.
Available now:
  npm test              unit and emulator-backed integration tests
  npm run bench         benchmarks against peer libraries
  npx lorawan decode …  decode a LoRaWAN PHYPayload
  npx keywrap wrap …    RFC 3394 key wrap`);
}
