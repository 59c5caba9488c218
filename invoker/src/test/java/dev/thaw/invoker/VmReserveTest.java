package dev.thaw.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thaw.invoker.kvm.Kvm;
import dev.thaw.invoker.testing.KvmTest;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reserve of VMs made ahead of cold starts: it fills, replaces in kind, and only when asked. */
@KvmTest
@Timeout(60)
class VmReserveTest {
    private static final long MIB_8 = 8L << 20;
    private static final long MIB_16 = 16L << 20;

    private static void await(String what, long expected, LongSupplier value) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        while (value.getAsLong() != expected && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(expected, value.getAsLong(), what);
    }

    /** What the engine benchmark waits on between cold starts: the reserve made up again, nothing being made. */
    @Test
    void awaitingTheReserveReturnsOnceEveryVmTakenIsMadeAgain() throws Exception {
        try (Kvm kvm = Kvm.open(); VmReserve reserve = new VmReserve(kvm, 2)) {
            assertTrue(reserve.awaitSettled(Duration.ofSeconds(20)), "the VMs made at start");
            assertEquals(2, reserve.available());
            try (VmReserve.EmptyVm a = reserve.take(MIB_8, VmReserve.ANY_THREAD);
                 VmReserve.EmptyVm b = reserve.take(MIB_8, VmReserve.ANY_THREAD)) {
                assertTrue(reserve.awaitSettled(Duration.ofSeconds(20)));
                assertEquals(2, reserve.available(MIB_8), "both taken VMs were made again, with slots of their size");
            }
        }
    }

    @Test
    void aTakenVmIsReplacedInKindOnlyOnceTheTakerLetsIt() throws Exception {
        try (Kvm kvm = Kvm.open(); VmReserve reserve = new VmReserve(kvm, 2)) {
            await("VMs made at start", 2, reserve::available);

            try (VmReserve.EmptyVm first = reserve.take(MIB_8, VmReserve.ANY_THREAD)) {
                assertEquals(0, first.slotBytes(), "the first VMs have no slot: no size was asked for yet");
                assertNull(first.range());
            }
            Thread.sleep(100);
            assertEquals(1, reserve.available(), "nothing is made while a cold start may still be running");

            reserve.replenish();
            await("VMs after replenishing", 2, reserve::available);
            try (VmReserve.EmptyVm second = reserve.take(MIB_8, VmReserve.ANY_THREAD)) {
                assertEquals(MIB_8, second.slotBytes(), "the replacement has a slot of the size taken");
                assertNotNull(second.range());
                assertEquals(MIB_8, second.range().size());
            }
            try (VmReserve.EmptyVm other = reserve.take(MIB_16, VmReserve.ANY_THREAD)) {
                assertEquals(0, other.slotBytes(), "no 16 MiB VM yet: the one without a slot fits any size");
            }
            assertEquals(3, reserve.taken());
            // That emptied the reserve, which replenishes at once: both sizes taken come back.
            await("VMs after the reserve ran dry", 2, reserve::available);
            try (VmReserve.EmptyVm a = reserve.take(MIB_16, VmReserve.ANY_THREAD); VmReserve.EmptyVm b = reserve.take(MIB_16, VmReserve.ANY_THREAD)) {
                assertEquals(MIB_16, a.slotBytes());
                assertEquals(0, b.slotBytes(), "the only other VM has an 8 MiB slot: one was made on demand");
                assertEquals(1, reserve.missed());
            }
            reserve.replenish();
            await("16 MiB VMs after replenishing two", 2, () -> reserve.available(MIB_16));
            assertEquals(1, reserve.available(MIB_8), "a size no longer taken stays while the reserve has room");
            try (VmReserve.EmptyVm a = reserve.take(MIB_16, VmReserve.ANY_THREAD); VmReserve.EmptyVm b = reserve.take(MIB_16, VmReserve.ANY_THREAD)) {
                assertEquals(MIB_16, a.slotBytes());
                assertEquals(MIB_16, b.slotBytes());
            }
        }
    }

    @Test
    void aLoneColdStartTakingTheLastVmDoesNotWakeTheFillerButASecondOneDoes() throws Exception {
        try (Kvm kvm = Kvm.open(); VmReserve reserve = new VmReserve(kvm, 1)) {
            await("the VM made at start", 1, reserve::available);
            try (VmReserve.EmptyVm first = reserve.take(MIB_8, VmReserve.ANY_THREAD)) {
                assertNotNull(first.vm());
            }
            Thread.sleep(100);
            assertEquals(0, reserve.available(), "no VM is made while the lone cold start may still be running");
            try (VmReserve.EmptyVm second = reserve.take(MIB_8, VmReserve.ANY_THREAD)) {
                assertEquals(1, reserve.missed(), "the second found none and made its own");
            }
            await("VMs made at once under pressure", 1, () -> reserve.available(MIB_8));
        }
    }

    @Test
    void aRecycledVmServesOnlyItsRunnerAndSparesTheReserveMakingOne() throws Exception {
        try (Kvm kvm = Kvm.open(); VmReserve reserve = new VmReserve(kvm, 2)) {
            await("VMs made at start", 2, reserve::available);
            try (VmReserve.EmptyVm taken = reserve.take(MIB_8, 0)) {
                assertEquals(0, taken.slotBytes());
            }
            VmReserve.EmptyVm made = VmReserve.EmptyVm.create(kvm, MIB_8);
            reserve.giveBack(new VmReserve.EmptyVm(made.vm(), made.vcpu(), MIB_8, made.range(), 0)); // run by runner 0
            assertEquals(1, reserve.recycled());
            reserve.replenish();
            Thread.sleep(100);
            assertEquals(2, reserve.available(), "the recycled VM paid for the one taken: none was made");
            try (VmReserve.EmptyVm other = reserve.take(MIB_8, 1)) {
                assertEquals(0, other.slotBytes(), "runner 1 may not run runner 0's vCPU: it gets the one without a slot");
                assertEquals(VmReserve.ANY_THREAD, other.owner());
            }
            try (VmReserve.EmptyVm own = reserve.take(MIB_8, 0)) {
                assertEquals(0, own.owner());
                assertEquals(MIB_8, own.slotBytes());
                assertEquals(1, reserve.reused());
            }
        }
    }
}
