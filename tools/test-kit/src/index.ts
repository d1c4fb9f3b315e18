export { describeWithMoto, freePort, motoAvailable, startMoto } from './moto';
export type { MotoServer } from './moto';
