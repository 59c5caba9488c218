package dev.thaw.invoker.testing;

import dev.thaw.invoker.kvm.Kvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Runs KVM tests only where KVM works, and appends each outcome ("RAN", "FAILED",
 * "SKIPPED reason") to {@code $thaw.root/target/kvm-tests.log}, which the test command
 * summarises.
 */
public final class KvmCondition implements ExecutionCondition, TestWatcher {
    private static final String UNAVAILABLE = Kvm.unavailableReason();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (UNAVAILABLE == null) {
            return ConditionEvaluationResult.enabled("KVM is available");
        }
        if ("1".equals(System.getenv("THAW_REQUIRE_KVM"))) {
            throw new IllegalStateException("KVM is required (THAW_REQUIRE_KVM=1) but unusable: " + UNAVAILABLE);
        }
        String message = "KVM TEST NOT RUN: " + UNAVAILABLE;
        System.err.println("!!! " + message + " -- " + context.getDisplayName());
        if (context.getTestMethod().isPresent()) {
            record(context, "SKIPPED " + UNAVAILABLE);
        }
        return ConditionEvaluationResult.disabled(message);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, "RAN");
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, "FAILED");
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, "SKIPPED aborted");
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        // already recorded by the condition
    }

    private static void record(ExtensionContext context, String outcome) {
        String root = System.getProperty("thaw.root");
        if (root == null) {
            return;
        }
        String line = outcome.split(" ")[0] + " " + context.getRequiredTestClass().getName() + "#"
                + context.getTestMethod().map(m -> m.getName()).orElse("?") + " " + outcome + "\n";
        try {
            Path log = Files.createDirectories(Path.of(root, "target")).resolve("kvm-tests.log");
            Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot record KVM test outcome: " + e);
        }
    }
}
