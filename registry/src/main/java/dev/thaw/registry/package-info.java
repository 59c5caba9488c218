/**
 * Where Thaw keeps what outlives one invocation: deployed functions ({@link dev.thaw.registry.FunctionRegistry}),
 * the live invokers ({@link dev.thaw.registry.InvokerDirectory}), invocation records
 * ({@link dev.thaw.registry.InvocationStore}), Kafka triggers ({@link dev.thaw.registry.TriggerRegistry})
 * and what the invokers' consumers of them report ({@link dev.thaw.registry.TriggerStatuses}). A single node uses a directory and memory
 * ({@link dev.thaw.registry.LocalFunctionRegistry}, {@link dev.thaw.registry.MemoryInvocationStore});
 * a cluster shares one Redis server, with every key under {@code thaw:}:
 * <pre>
 * thaw:functions                    set of function names
 * thaw:fn:&lt;name&gt;:last-version       version counter (INCR); kept after a delete
 * thaw:fn:&lt;name&gt;:versions           sorted set of version numbers
 * thaw:fn:&lt;name&gt;:v&lt;n&gt;              hash: manifest, sha256, size, deployed_at
 * thaw:fn:&lt;name&gt;:v&lt;n&gt;:bundle       the bundle's bytes
 * thaw:fn:&lt;name&gt;:recent             ids of the function's last DONE invocations, newest first
 * thaw:inv:&lt;id&gt;                    an invocation record as JSON, expiring after the retention
 * thaw:invoker:&lt;id&gt;                an invoker as JSON, expiring unless its heartbeat renews it
 * thaw:inv-done:&lt;name&gt;  (channel)   each record of the function that becomes DONE, as JSON
 * thaw:triggers                     hash: trigger name -&gt; its spec as JSON
 * thaw:trigger:&lt;name&gt;:report:&lt;invoker&gt;   an invoker's report on the trigger, expiring after its ttl
 * thaw:trigger:&lt;name&gt;:reporters    set of the invokers that reported
 * </pre>
 */
package dev.thaw.registry;
