/**
 * A value built at its first use and kept for the life of the container: a handler's
 * configuration, clients and caches. It is built inside the first invocation rather than
 * when the module loads, so that a failure (an invalid configuration) fails that invocation,
 * logged and retried by the error policy, instead of the container's start. A failed build
 * is not kept: the next invocation builds again.
 */
export function containerScoped<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
