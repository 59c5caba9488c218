package dev.thaw.invoker.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (or class) that needs a working /dev/kvm. Without one it is skipped with a
 * loud message, or fails when THAW_REQUIRE_KVM=1; every outcome is recorded so the test
 * command can report whether the KVM tests ran (see {@link KvmCondition}).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("kvm")
@ExtendWith(KvmCondition.class)
public @interface KvmTest {}
