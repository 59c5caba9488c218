package dev.thaw.registry;

import java.time.Duration;

class MemoryInvocationStoreTest extends InvocationStoreContract {
    @Override
    InvocationStore newInstance(Duration retention) {
        return new MemoryInvocationStore(retention);
    }
}
