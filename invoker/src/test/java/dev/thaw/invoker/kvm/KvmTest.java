package dev.thaw.invoker.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

@dev.thaw.invoker.testing.KvmTest
class KvmTest {
    /** KVM reports the APIC ID of whichever host CPU runs the ioctl; the fingerprint must not. */
    @Test
    void cpuFingerprintIsTheSameFromEveryThreadAndCpu() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Thread t = Thread.ofPlatform().start(() -> {
                try (Kvm kvm = Kvm.open()) {
                    synchronized (seen) {
                        seen.add(kvm.cpuFingerprint());
                    }
                }
            });
            t.join();
        }
        assertEquals(1, seen.size(), seen.toString());
    }
}
