package dev.thaw.registry;

class MemoryTriggerStatusesTest extends TriggerStatusesContract {
    @Override
    TriggerStatuses newInstance() {
        return new MemoryTriggerStatuses();
    }
}
