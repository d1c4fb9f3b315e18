import type { LocalThing } from './iot';

/**
 * The registry's things by name, with an index of their attribute values, so that
 * ListThings by an exact attribute value (what each Lambda environment asks for a device's
 * thing, by `devEUI`) is a lookup, not a scan of every thing. The index follows every
 * `set`, `delete` and `clear`.
 */
export class ThingTable extends Map<string, LocalThing> {
  readonly #byAttribute = new Map<string, Set<string>>();

  override set(thingName: string, thing: LocalThing): this {
    this.#unindex(thingName);
    super.set(thingName, thing);
    for (const [name, value] of Object.entries(thing.attributes)) {
      const key = attributeKey(name, value);
      let names = this.#byAttribute.get(key);
      if (!names) this.#byAttribute.set(key, (names = new Set()));
      names.add(thingName);
    }
    return this;
  }

  override delete(thingName: string): boolean {
    this.#unindex(thingName);
    return super.delete(thingName);
  }

  override clear(): void {
    this.#byAttribute.clear();
    super.clear();
  }

  /** The things whose attribute `name` is exactly `value`, in no particular order. */
  withAttribute(name: string, value: string): LocalThing[] {
    const names = this.#byAttribute.get(attributeKey(name, value)) ?? [];
    return [...names].map((thingName) => this.get(thingName)!);
  }

  #unindex(thingName: string): void {
    const old = this.get(thingName);
    if (!old) return;
    for (const [name, value] of Object.entries(old.attributes)) {
      const key = attributeKey(name, value);
      const names = this.#byAttribute.get(key);
      names?.delete(thingName);
      if (names?.size === 0) this.#byAttribute.delete(key);
    }
  }
}

function attributeKey(name: string, value: string): string {
  return `${name}\u0000${value}`;
}
