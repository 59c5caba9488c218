package dev.thaw.gateway.api;

import dev.thaw.gateway.Platform;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when invocations can run: the embedded engine started, or some invoker is alive. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {
    @Inject
    Platform platform;

    @Override
    public HealthCheckResponse call() {
        boolean ready = platform.invokers() != null && platform.invokers().ready();
        return HealthCheckResponse.named("invokers").status(ready)
                .withData("mode", platform.config().mode().name().toLowerCase(java.util.Locale.ROOT)).build();
    }
}
